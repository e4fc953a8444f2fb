from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Sharing registry")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the tasks services queue by name)
