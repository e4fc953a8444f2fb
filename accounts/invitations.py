"""Invitation tokens, the accept link and the invitation email: pure helpers, no writes.

The token. An invitation's token is `invitation_token(nonce)`: an HMAC (with SECRET_KEY) of a
fresh `secrets.token_urlsafe(32)` nonce, in URL-safe base64 (43 characters, 256 bits). The
row stores the token's SHA-256 (`token_hash`, to find it) and the nonce, which the email task
needs to write the link: the email is sent by a worker after the transaction commits (through
the outbox), and the outbox and the broker must not carry the token itself. Without
SECRET_KEY the nonce leads nowhere, like Django's own password-reset tokens; the service that
sends the email empties it, so once the email is out only the hash is left. Rotating
SECRET_KEY before an invitation's email is sent makes that email unsendable (the hash no
longer matches; `invitation_send` logs it and sends nothing): revoke and invite again.

The link. `invitation_accept_path(token)` is the web page that accepts an invitation
(`/invitations/<token>/`, served by the web console); the email links there, under
PUBLIC_BASE_URL (`common.urls.absolute_url`). The page calls the API's
`GET /api/v1/invitations/{token}/` and `POST /api/v1/invitations/{token}/accept/`.

The email is written in Korean and English at once, as the registry's other emails are: the
recipient has no account, so no language of theirs is known.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from common.urls import absolute_url

from .models import Invitation, MembershipRole

INVITATION_ACCEPT_PATH = "/invitations/{token}/"
_TOKEN_SALT = "accounts.invitation"  # noqa: S105 (a label, not a secret)


def invitation_accept_path(token: str) -> str:
    """The web page that accepts the invitation with this token (no host)."""
    return INVITATION_ACCEPT_PATH.format(token=token)


def invitation_accept_url(token: str) -> str:
    """The accept page as a full URL, under PUBLIC_BASE_URL (emails are written by workers)."""
    return absolute_url(invitation_accept_path(token))


def invitation_nonce() -> str:
    return secrets.token_urlsafe(32)


def invitation_token(nonce: str) -> str:
    """The secret an invitation's link carries, made from its stored nonce (see the module)."""
    digest = salted_hmac(_TOKEN_SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def invitation_token_hash(token: str) -> str:
    # The token has 256 bits of entropy: a fast hash is enough (no offline guessing).
    return hashlib.sha256(token.encode()).hexdigest()


def _role_label(role: str) -> str:
    label = dict(MembershipRole.choices).get(role, role)
    with translation.override("ko"):
        korean = str(label)
    with translation.override("en"):
        english = str(label)
    return korean if korean == english else f"{korean} / {english}"


def _organization_name(invitation: Invitation) -> str:
    organization = invitation.organization
    return " / ".join(dict.fromkeys(n for n in (organization.name_ko, organization.name_en) if n))


def invitation_email_subject(invitation: Invitation) -> str:
    return f"[M.AX] 초대 / Invitation: {_organization_name(invitation)}"


def invitation_email_body(invitation: Invitation, token: str) -> str:
    expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M %Z")
    inviter = invitation.invited_by.email if invitation.invited_by else ""
    name = _organization_name(invitation)
    role = _role_label(invitation.role)
    link = invitation_accept_url(token)
    return (
        f"{name}에서 M.AX 데이터 교환 레지스트리에 초대했습니다.\n"
        f"역할: {role}\n"
        f"아래 링크에서 비밀번호를 정하면 계정이 만들어지고 기관의 구성원이 됩니다.\n"
        f"링크는 {expires}까지 한 번만 쓸 수 있습니다.\n\n"
        f"{name} invites you to the M.AX Data Exchange Registry.\n"
        f"Role: {role}\n"
        f"Choose a password at the link below: your account is created and you join the "
        f"organisation.\n"
        f"The link works once, until {expires}.\n\n"
        f"{link}\n\n"
        f"초대한 사람 / Invited by: {inviter}\n"
        f"초대를 기대하지 않았다면 이 메일을 무시하세요. / "
        f"If you did not expect this invitation, ignore this email.\n"
    )


def invitation_message_id(invitation: Invitation) -> str:
    """The same on every attempt, so a copy sent twice is dropped as a repeat (as the
    registry's notification emails do)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<invitation-{invitation.pk}.{invitation.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def invitation_email(invitation: Invitation, token: str) -> EmailMessage:
    return EmailMessage(
        invitation_email_subject(invitation),
        invitation_email_body(invitation, token),
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
        headers={"Message-ID": invitation_message_id(invitation)},
    )
