"""The console's pages, at the site's root. Each module of console/views/ lists its own."""

from django.urls import URLPattern, URLResolver, path

from .views import (
    audit,
    auth,
    catalog,
    dataset,
    figures,
    home,
    inbox,
    organization,
    publish,
    requests,
)

app_name = "console"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", home.home, name="home"),
    path("login/", auth.login_page, name="login"),
    path("logout/", auth.logout_page, name="logout"),
    *dataset.urlpatterns,
    *catalog.urlpatterns,
    *requests.urlpatterns,
    *inbox.urlpatterns,
    *publish.urlpatterns,
    *organization.urlpatterns,
    *figures.urlpatterns,
    *audit.urlpatterns,
]
