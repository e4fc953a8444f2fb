"""Korean business registration number (사업자등록번호) validation."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalize_business_registration_number(value: str) -> str:
    """Accept `123-45-67890` or `1234567890`; store the 10 digits."""
    return re.sub(r"[\s-]", "", value or "")


def business_registration_number_is_valid(digits: str) -> bool:
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    numbers = [int(c) for c in digits]
    total = sum(n * w for n, w in zip(numbers[:9], _WEIGHTS, strict=True))
    total += (numbers[8] * 5) // 10
    return (10 - total % 10) % 10 == numbers[9]


def validate_business_registration_number(value: str) -> None:
    digits = normalize_business_registration_number(value)
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise ValidationError(
            _("A business registration number has exactly 10 digits (e.g. 123-45-67890)."),
            code="invalid_format",
        )
    if not business_registration_number_is_valid(digits):
        raise ValidationError(
            _("This business registration number fails its check digit."),
            code="invalid_checksum",
        )


def make_business_registration_number(first_nine: str) -> str:
    """Complete nine digits with their check digit (used by demo data and tests)."""
    numbers = [int(c) for c in first_nine]
    total = sum(n * w for n, w in zip(numbers, _WEIGHTS, strict=True)) + (numbers[8] * 5) // 10
    return first_nine + str((10 - total % 10) % 10)
