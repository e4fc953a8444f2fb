"""Filter building blocks (after NetBox): repeatable `?x=a&x=b` parameters with no lookups."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms


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
