from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Sharing registry")

    def ready(self) -> None:
        from datasets.signals import dataset_sensitivity_set

        from . import (
            receivers,
            tasks,  # noqa: F401  (registers the tasks services queue by name)
        )

        dataset_sensitivity_set.connect(
            receivers.dataset_sensitivity_set, dispatch_uid="registry.policy_follows_sensitivity"
        )
