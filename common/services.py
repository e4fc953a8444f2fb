"""Write helpers every app's services share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, data: Mapping[str, Any]) -> M:
    """Set the given fields, run the model's own rules (`full_clean`), save.

    The one place where "set attributes, validate, save" lives: a rule added to a model's
    `clean()` then holds for every service that changes it.
    """
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance
