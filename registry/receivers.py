"""What the registry does when the apps below it announce a change (datasets.signals)."""

from __future__ import annotations

from typing import Any

from datasets.models import Dataset

from .services.policies import policy_follow_sensitivity


def dataset_sensitivity_set(sender: Any, *, dataset: Dataset, **kwargs: Any) -> None:
    """Every dataset has an access policy from birth, and it follows the sensitivity."""
    policy_follow_sensitivity(dataset=dataset, actor=None)
