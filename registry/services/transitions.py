"""The one way a sharing request changes state: lock its row, check the state it is in, move it
with an UPDATE, and record the move (a SharingRequestEvent, an audit event, the notifications)
in the same transaction. A move that is not allowed from the current state is a 409 that names
that state. Used by the sharing-request decisions and by agreements and grants."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.chain import audit_append
from common.errors import Conflict

from ..models import DSP_STATE, SharingRequest, SharingRequestEvent
from ..models import SharingRequestState as S
from .notifications import sharing_request_notify


def sharing_request_event_record(
    *,
    sharing_request: SharingRequest,
    actor: User | None,
    from_state: str,
    to_state: str,
    comment: str = "",
    audit_data: dict[str, Any] | None = None,
) -> None:
    """The history row, the audit event and the notifications of a move, in the caller's
    transaction. `audit_data`: more for the audit event (a resubmission's changes)."""
    SharingRequestEvent.objects.create(
        sharing_request=sharing_request,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
    audit_append(
        actor=actor,
        action=f"sharing_request.{to_state}",
        object_type="sharing_request",
        object_id=sharing_request.pk,
        organization_ids=[sharing_request.requester_id],
        steward_organization_ids=[sharing_request.dataset.publisher_id],
        data={"from": from_state, "to": to_state, "comment": comment, **(audit_data or {})},
    )
    sharing_request_notify(sharing_request=sharing_request, state=to_state)


def sharing_request_locked_state(*, sharing_request: SharingRequest) -> str:
    """Lock the request's row until the transaction ends and return its state now."""
    return str(
        SharingRequest.objects.select_for_update()
        .values_list("state", flat=True)
        .get(pk=sharing_request.pk)
    )


def transition_conflict(current: str, target: str, sources: tuple[str, ...]) -> Conflict:
    """The 409 for a move to `target` from `current`, which is not one of `sources`."""
    return Conflict(
        _("A sharing request in state '%(current)s' cannot become '%(target)s'.")
        % {"current": current, "target": target},
        code="invalid_transition",
        current_state=current,
        dsp_state=DSP_STATE[S(current)],
        allowed_from=list(sources),
    )


def decision_reason(code: str, reason: str) -> dict[str, str]:
    """A person's reason for a decision, as an entry of `decision_reasons`: the code says which
    decision and by whom (`rejected_by_publisher`), the message is their words, shown as
    written."""
    return {"code": code, "message": reason}


def sharing_request_move(
    *,
    sharing_request: SharingRequest,
    sources: tuple[str, ...],
    target: str,
    actor: User | None,
    comment: str = "",
    reason_code: str = "",
    audit_data: dict[str, Any] | None = None,
    **updates: Any,
) -> SharingRequest:
    """Move from one of `sources` to `target` under a row lock; 409 with the current state if
    the request is elsewhere. The lock makes concurrent moves queue up, so the event records the
    state the move really left, and of two approvers exactly one wins.

    A person's decision passes `reason_code` and their reason as `comment`: the reason goes to
    the event log and is added to `decision_reasons` (which keeps earlier entries)."""
    from_state = sharing_request_locked_state(sharing_request=sharing_request)
    if from_state not in sources:
        raise transition_conflict(from_state, target, sources)
    if reason_code and comment:
        earlier = SharingRequest.objects.values_list("decision_reasons", flat=True).get(
            pk=sharing_request.pk
        )
        updates["decision_reasons"] = [*(earlier or []), decision_reason(reason_code, comment)]
    SharingRequest.objects.filter(pk=sharing_request.pk).update(
        state=target, modified_at=timezone.now(), reminded_at=None, **updates
    )
    sharing_request.refresh_from_db()
    sharing_request_event_record(
        sharing_request=sharing_request,
        actor=actor,
        from_state=from_state,
        to_state=target,
        comment=comment,
        audit_data=audit_data,
    )
    return sharing_request
