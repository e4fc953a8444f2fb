"""Transitional: the old flat `registry.services` names, for the two callers this branch must
not edit while others move them (registry/demo.py, going to the demo app, and
datasets/services/catalog.py). They call with the old keyword names (`request`, `request_id`).

Delete this module and its import in `__init__` once those callers import the sub-modules and
pass `sharing_request` / `sharing_request_id`. Nothing else may import from here.
"""

from __future__ import annotations

from typing import Any

from accounts.selectors import Actor

from ..models import SharingRequest
from . import agreements, sharing_requests
from .agreements import grants_expire
from .downloads import download_record
from .policies import policy_follow_sensitivity, policy_set
from .sharing_requests import sharing_request_create

__all__ = [
    "download_record",
    "grant_revoke",
    "grants_expire",
    "policy_follow_sensitivity",
    "policy_set",
    "sharing_request_approve",
    "sharing_request_check",
    "sharing_request_create",
    "sharing_request_reject",
    "sharing_request_withdraw",
]


def sharing_request_check(*, request_id: Any) -> SharingRequest:
    return sharing_requests.sharing_request_check(sharing_request_id=request_id)


def sharing_request_approve(
    *, actor: Actor, request: SharingRequest, comment: str = ""
) -> SharingRequest:
    return sharing_requests.sharing_request_approve(
        actor=actor, sharing_request=request, comment=comment
    )


def sharing_request_reject(
    *, actor: Actor, request: SharingRequest, comment: str
) -> SharingRequest:
    return sharing_requests.sharing_request_reject(
        actor=actor, sharing_request=request, comment=comment
    )


def sharing_request_withdraw(
    *, actor: Actor, request: SharingRequest, comment: str = ""
) -> SharingRequest:
    return sharing_requests.sharing_request_withdraw(
        actor=actor, sharing_request=request, comment=comment
    )


def grant_revoke(*, actor: Actor, request: SharingRequest, reason: str) -> SharingRequest:
    return agreements.grant_revoke(actor=actor, sharing_request=request, reason=reason)
