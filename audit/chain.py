"""The audit chain: append events and verify that none was edited or deleted.

Appends are serialised with a transaction-scoped advisory lock, so the chain has one order even
under concurrent writers; the lock is held only until the writer's transaction ends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x4D41585F41554454  # "MAX_AUDT": one advisory lock for the whole chain


class AuditActor(Protocol):
    """Who acted: a user (AUTH_USER_MODEL), or an unsaved one for the system."""

    @property
    def pk(self) -> Any: ...
    @property
    def email(self) -> str: ...


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same data always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_digest(event: AuditEvent) -> str:
    body: dict[str, Any] = {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_email": event.actor_email,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "organization_ids": sorted(event.organization_ids),
        "data": event.data,
        "prev_digest": event.prev_digest,
    }
    if event.steward_organization_ids:
        body["steward_organization_ids"] = sorted(event.steward_organization_ids)
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def audit_append(
    *,
    actor: AuditActor | None,
    action: str,
    object_type: str,
    object_id: object,
    organization_ids: Iterable[int | None] = (),
    steward_organization_ids: Iterable[int | None] = (),
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (it commits or rolls back with it).

    Every member of `organization_ids` may read it; of `steward_organization_ids`, only the
    data stewards (a sharing request's publisher side, like the request itself)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("id", "digest").first()
        event = AuditEvent(
            id=(last[0] + 1) if last else 1,
            occurred_at=timezone.now(),
            actor_id=actor.pk if actor is not None and actor.pk else None,
            actor_email=actor.email if actor is not None and actor.pk else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            organization_ids=sorted({org for org in organization_ids if org is not None}),
            steward_organization_ids=sorted(
                {org for org in steward_organization_ids if org is not None}
            ),
            data=json.loads(canonical_json(data or {})),
            prev_digest=last[1] if last else GENESIS,
        )
        event.digest = event_digest(event)
        event.save(force_insert=True)
        AuditChainHead.objects.update_or_create(
            id=1, defaults={"last_id": event.id, "last_digest": event.digest}
        )
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str

    def __str__(self) -> str:
        return f"event {self.event_id}: {self.problem}"


def audit_verify(*, batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk the chain in id order; yield every place where it does not hold."""
    expected_prev = GENESIS
    expected_id = 1
    queryset = AuditEvent.objects.order_by("id")
    for event in queryset.iterator(chunk_size=batch_size):
        if event.id != expected_id:
            yield ChainProblem(event.id, f"events {expected_id}..{event.id - 1} are missing")
        if event.prev_digest != expected_prev:
            yield ChainProblem(event.id, "prev_digest does not match the event before it")
        if event_digest(event) != event.digest:
            yield ChainProblem(event.id, "its content does not match its digest (edited)")
        expected_prev = event.digest
        expected_id = event.id + 1
    head = AuditChainHead.objects.filter(id=1).first()
    last_id = expected_id - 1
    if head is None:
        if last_id:
            yield ChainProblem(last_id, "the chain head record is missing")
    elif head.last_id != last_id or head.last_digest != expected_prev:
        yield ChainProblem(
            head.last_id,
            f"the chain ends at event {last_id} but its head records event {head.last_id}: "
            "the newest events were deleted or replaced",
        )


@dataclass(frozen=True)
class ChainCheck:
    """One verification of the whole chain: how many events it holds, where its head says it
    ends, and every problem found (none: the chain holds)."""

    checked: int
    head_id: int | None
    head_digest: str | None
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_chain_check(*, batch_size: int = 5000) -> ChainCheck:
    """Verify the chain (`audit_verify`) and read its head: what `manage.py verify_audit` and
    the console's audit page report."""
    problems = list(audit_verify(batch_size=batch_size))
    head = AuditChainHead.objects.filter(id=1).first()
    return ChainCheck(
        checked=AuditEvent.objects.count(),
        head_id=head.last_id if head else None,
        head_digest=head.last_digest if head else None,
        problems=problems,
    )
