"""What the organisation pages share: the organisation a reader manages, and the API's cursor
paging for the lists (the same pages, the same order, the same cost as the API's)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from rest_framework.exceptions import PermissionDenied

from accounts import selectors as account_selectors
from accounts.models import Organization
from accounts.permissions import MembershipPermission, can_manage_memberships
from common.pagination import CursorPagination

from ..base import api_request, page_actor


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_url: str | None
    previous_url: str | None


def cursor_page(
    request: HttpRequest, queryset: QuerySet[Any], *, ordering: str, page_size: int = 25
) -> Page:
    """A page of `queryset` as the API pages it (`?cursor=`), with its links."""
    paginator = CursorPagination()
    paginator.page_size = page_size
    view: Any = SimpleNamespace(ordering=ordering, filter_backends=[])
    rows = paginator.paginate_queryset(queryset, api_request(request), view=view) or []
    return Page(rows, paginator.get_next_link(), paginator.get_previous_link())


def managed_organization(request: HttpRequest, slug: str) -> Organization:
    """The organisation whose members the reader manages: its admins and the secretariat, as
    the memberships API decides. Its members get 403 (the API shows them their memberships but
    refuses changes); anyone else 404, as the API hides another organisation's memberships."""
    actor = page_actor(request)
    organization = account_selectors.organization_list().filter(slug=slug).first()
    if organization is None:
        raise Http404
    if can_manage_memberships(actor, organization.pk):
        return organization
    if actor.is_member_of(organization.pk):
        raise PermissionDenied(MembershipPermission.message)
    raise Http404
