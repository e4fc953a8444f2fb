"""Downloads through a grant: short-lived signed links, opening one, and the download log.

A link carries the grant, the file and the user, signed; opening it checks the grant *now*, so
revocation and expiry apply at once, even to a link handed out before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from accounts.models import User
from accounts.selectors import Actor, actor_for
from audit.chain import audit_append
from common.errors import Conflict
from datasets.models import Distribution

from ..models import Download, Grant
from ..permissions import can_download, grant_covers
from .agreements import grant_is_valid

_SIGNING_SALT = "registry.download"


def download_link_sign(*, grant: Grant, distribution: Distribution, user: User) -> str:
    return signing.dumps(
        {"g": str(grant.pk), "d": str(distribution.pk), "u": user.pk}, salt=_SIGNING_SALT
    )


def download_link_max_age() -> int:
    return int(getattr(settings, "DOWNLOAD_LINK_MAX_AGE_SECONDS", 600))


def download_links_issue(
    *, actor: Actor, grant: Grant, absolute_uri: Callable[[str], str]
) -> list[dict[str, Any]]:
    """A signed link to every data file of the granted version (`grant_covers`: the checked
    file is not the grant's to give), for a member of the grantee. Each says its `role` and
    `file_name`. `absolute_uri` makes the link's path a full URL (the API passes
    `common.urls.absolute_url` with the request, so links point at the host the caller used,
    or at PUBLIC_BASE_URL)."""
    if not can_download(actor, grant):
        raise PermissionDenied(_("Only members of the grantee organisation may download."))
    if not grant_is_valid(grant):
        raise Conflict(_("This grant is revoked or expired."), code="grant_not_valid")
    assert actor.user is not None
    links = []
    files = grant.version.distributions.exclude(file="").order_by("created_at", "id")
    for distribution in files:
        if not grant_covers(grant, distribution):
            continue
        signed = download_link_sign(grant=grant, distribution=distribution, user=actor.user)
        links.append(
            {
                "distribution": distribution.pk,
                "role": distribution.role,
                "file_name": distribution.file_name,
                "title": distribution.title,
                "format": distribution.format,
                "url": absolute_uri(reverse("download-file", args=[signed])),
                "expires_in_seconds": download_link_max_age(),
            }
        )
    return links


def download_link_open(*, signed: str) -> tuple[Grant, Distribution, User]:
    """Check the signature and age, then the grant *now*: revocation and expiry apply at once."""
    try:
        payload = signing.loads(signed, salt=_SIGNING_SALT, max_age=download_link_max_age())
    except signing.SignatureExpired as exc:
        raise PermissionDenied(_("This download link has expired; ask for a new one.")) from exc
    except signing.BadSignature as exc:
        raise PermissionDenied(_("This download link is not valid.")) from exc
    grant = Grant.objects.select_related("version").filter(pk=payload["g"]).first()
    distribution = Distribution.objects.filter(pk=payload["d"]).first()
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if grant is None or distribution is None or user is None:
        raise PermissionDenied(_("This download link is not valid."))
    if not grant_covers(grant, distribution):
        raise PermissionDenied(_("This download link is not valid."))
    if not grant_is_valid(grant):
        raise PermissionDenied(_("The grant behind this link is revoked or expired."))
    if not can_download(actor_for(user), grant):
        raise PermissionDenied(_("You are no longer a member of the grantee organisation."))
    return grant, distribution, user


@transaction.atomic
def download_record(
    *, grant: Grant, distribution: Distribution, user: User, byte_size: int, client_ip: str | None
) -> Download:
    download = Download.objects.create(
        grant=grant, distribution=distribution, user=user, byte_size=byte_size, client_ip=client_ip
    )
    audit_append(
        actor=user,
        action="download",
        object_type="distribution",
        object_id=distribution.pk,
        organization_ids=[grant.organization_id],
        steward_organization_ids=[grant.version.dataset.publisher_id],
        data={"grant": str(grant.pk), "bytes": byte_size},
    )
    return download
