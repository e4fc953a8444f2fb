"""Filter building blocks (after NetBox): repeatable `?x=a&x=b` parameters with no lookups, and
date-time parameters that PostgreSQL is sure to accept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

# Real offsets run from -12:00 to +14:00; PostgreSQL refuses 16:00 and more ("time zone
# displacement out of range"), a 500 when it reached a query.
MAX_UTC_OFFSET = dt.timedelta(hours=15, minutes=59)


def database_datetime(moment: dt.datetime) -> dt.datetime:
    """`moment`, as PostgreSQL will read it, or a ValidationError.

    PostgreSQL takes any moment Python holds (years 1 to 9999, even 0001-01-01T00:00+14:00,
    whose UTC is in year 0) with its offset, but refuses offsets beyond ±15:59; those are a
    ValidationError (`offset_out_of_range`). Python also reads fractions of a second in an
    offset, which PostgreSQL's syntax lacks: such a moment goes in UTC instead (or, if UTC is
    outside the years 1 to 9999, is a ValidationError, `out_of_range`).
    """
    offset = moment.utcoffset()
    if offset is None:
        return moment
    if abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError(
            _("The UTC offset must be within ±15:59."), code="offset_out_of_range"
        )
    if offset.microseconds:
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError(
                _("The date must fall between the years 1 and 9999 (UTC)."), code="out_of_range"
            ) from exc
    return moment


class BoundedDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time that PostgreSQL accepts (see `database_datetime`)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        moment = super().to_python(value)
        return None if moment is None else database_datetime(moment)


class BoundedDateTimeFilter(filters.IsoDateTimeFilter):
    """`?x=2025-10-01T09:00:00+09:00`: django-filter's ISO 8601 filter, answering 400 (naming
    the parameter) for a moment PostgreSQL would refuse, instead of a 500."""

    field_class = BoundedDateTimeField


def multivalue_field_factory(field_class: type[forms.Field]) -> type[forms.MultipleChoiceField]:
    """A form field that takes many values, each cleaned by `field_class`, without choices."""

    class MultiValueField(forms.MultipleChoiceField):
        widget = forms.SelectMultiple

        def to_python(self, value: Any) -> list[Any]:
            if not value:
                return []
            field = field_class()
            return [field.clean(v) for v in value if v not in ("", None)]

        def validate(self, value: Any) -> None:
            pass

    return MultiValueField


class ChoicesFilter(filters.MultipleChoiceFilter):
    """`?x=a&x=b`, any of them. No DISTINCT unless asked for: on to-one relations it only makes
    PostgreSQL build, deduplicate and sort every match before the page's LIMIT."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class MultiValueCharFilter(ChoicesFilter):
    field_class = multivalue_field_factory(forms.CharField)


class MultiValueNumberFilter(ChoicesFilter):
    field_class = multivalue_field_factory(forms.IntegerField)


class MultiValueUUIDFilter(ChoicesFilter):
    field_class = multivalue_field_factory(forms.UUIDField)
