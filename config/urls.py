from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from common.health import healthz
from config.schema import SchemaView
from console.views import auth as console_auth

from .api_root import ApiRootView

api_auth: list[URLPattern | URLResolver] = [
    path("login/", console_auth.login_page, name="login"),
    path("logout/", console_auth.logout_page, name="logout"),
]

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
    # The split view serves Swagger UI's settings as a script file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # The browsable API signs in through the console's page, with the same login lockout.
    path("api-auth/", include((api_auth, "rest_framework"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("console.urls")),
]

# JSON problem details under /api/, the console's error page elsewhere.
handler400 = "console.errors.bad_request"
handler403 = "console.errors.permission_denied"
handler404 = "console.errors.not_found"
handler500 = "console.errors.server_error"
