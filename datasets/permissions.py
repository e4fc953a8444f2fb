"""Who may write the catalog: data stewards of the publishing organisation, nobody else.

Reads need no rule here: every queryset starts from `selectors.dataset_visibility`, so what the
caller may not see is a 404, never a 403.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from accounts.selectors import Actor

from .models import Dataset


def can_edit_dataset(actor: Actor, dataset: Dataset) -> bool:
    return actor.is_steward_of(dataset.publisher_id)


def require_dataset_steward(actor: Actor, dataset: Dataset) -> None:
    """401 for anonymous callers, 403 for anyone but the publisher's stewards."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not can_edit_dataset(actor, dataset):
        raise PermissionDenied(
            _("Only data stewards of the publishing organisation may change this dataset.")
        )


def require_any_steward(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not actor.steward_organization_ids:
        raise PermissionDenied(_("Only data stewards may create datasets."))
