from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from . import checks, tasks  # noqa: F401  (registers the checks, the outbox relay and cleanup)
