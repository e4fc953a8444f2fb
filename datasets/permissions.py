"""Who may do what in the datasets app: the catalog, its files, its histories and its imports.

Each rule is a `can_*` predicate on the caller (`accounts.selectors.Actor`) and, where a view
enforces it, a `require_*` that answers 401 to anonymous callers and 403 with the reason to the
others (`require_*_organization` also returns the organisation the caller acts for).

Reads need no rule here: every queryset starts from `selectors.dataset_visibility`, so what the
caller may not see is a 404, never a 403. These rules decide what a caller who sees an object
may do with it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from accounts.models import Organization
from accounts.selectors import Actor

from .models import Dataset, Distribution, DistributionRole, Sensitivity, VersionStatus

# --- the catalog: data stewards of the publishing organisation, nobody else --------------------


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


def require_publisher_unchanged(dataset: Dataset, publisher: Organization | None) -> None:
    """Nobody moves a dataset to another publisher (naming its own is allowed)."""
    if publisher is not None and publisher.pk != dataset.publisher_id:
        raise PermissionDenied(_("A dataset cannot move to another publisher."))


def can_see_revision_authors(actor: Actor, dataset: Dataset) -> bool:
    """Who made a change (the user, the import) is shown to the publisher and the
    secretariat; everyone who sees the dataset sees its revisions."""
    return actor.is_secretariat or actor.is_member_of(dataset.publisher_id)


# --- files -------------------------------------------------------------------------------------


def can_see_checked_file(actor: Actor, dataset: Dataset) -> bool:
    """The file a check runs on (role `sample`) and whatever quotes its cells (report error
    messages, profile values, the inferred schema): the publisher's data stewards and the
    secretariat only. Everyone else who sees the version sees its preview instead."""
    return actor.is_secretariat or actor.is_steward_of(dataset.publisher_id)


def can_download_distribution(actor: Actor, distribution: Distribution) -> bool:
    """Directly, without a grant. The checked file: `can_see_checked_file`. The data: the
    publishing organisation's members and the secretariat always, anyone else only when the
    dataset is public and the version published. Other data leaves through grants under
    sharing agreements (registry.permissions.grant_covers)."""
    version = distribution.version
    dataset = version.dataset
    if distribution.role == DistributionRole.SAMPLE:
        return can_see_checked_file(actor, dataset)
    open_to_all = (
        dataset.sensitivity == Sensitivity.PUBLIC and version.status == VersionStatus.PUBLISHED
    )
    return open_to_all or actor.is_secretariat or actor.is_member_of(dataset.publisher_id)


def require_distribution_download(actor: Actor, distribution: Distribution) -> None:
    if can_download_distribution(actor, distribution):
        return
    if not actor.is_authenticated:
        raise NotAuthenticated()
    raise PermissionDenied(_("This file is shared only under a sharing agreement."))


# --- catalog imports: data stewards into their organisation; the secretariat reads them all ----


def can_read_import_jobs(actor: Actor) -> bool:
    return bool(actor.steward_organization_ids) or actor.is_secretariat


def require_import_jobs_reader(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not can_read_import_jobs(actor):
        raise PermissionDenied(_("Only data stewards import catalogs."))


def require_importer(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not actor.steward_organization_ids:
        raise PermissionDenied(_("Only data stewards import catalogs."))
