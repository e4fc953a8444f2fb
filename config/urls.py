from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from common.health import healthz
from config.schema import SchemaView

from .api_root import ApiRootView

api_v1: list[URLPattern | URLResolver] = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("accounts.api.urls")),
    # Before the catalog's: `datasets/from-file/` is not a dataset called "from-file".
    path("", include("registry.api.publishing")),
    path("", include("datasets.api.urls")),
    path("", include("registry.api.urls")),
    path("", include("stats.api.urls")),
    path("", include("config.vocabularies")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/schema.json", SpectacularJSONAPIView.as_view(), name="schema-json"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "common.exceptions.bad_request_view"
handler403 = "common.exceptions.permission_denied_view"
handler404 = "common.exceptions.not_found_view"
handler500 = "common.exceptions.server_error_view"
