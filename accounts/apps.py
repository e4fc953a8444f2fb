from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
            tasks,  # noqa: F401  (registers the tasks services queue by name)
        )
