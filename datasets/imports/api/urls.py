"""The catalog import's URLs: /imports/ and /imports/{id}/."""

from django.urls import URLPattern, path

from .views import ImportJobViewSet

urlpatterns: list[URLPattern] = [
    path(
        "imports/",
        ImportJobViewSet.as_view({"get": "list", "post": "create"}),
        name="import-list",
    ),
    path("imports/<uuid:pk>/", ImportJobViewSet.as_view({"get": "retrieve"}), name="import-detail"),
]
