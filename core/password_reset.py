"""Password reset by email: a signed, time-limited, single-use link.

The link carries the account's id and a fingerprint of its current password hash, signed with
the app's SECRET_KEY under a salt of its own (so no other signed value of the app can pass for
one). It is good for PASSWORD_RESET_SECONDS (an hour by default) and only while the password
is unchanged: setting a new password changes the hash, so the link (and every other link sent
before it) is used up. Nothing is stored for it.

Asking for a link answers the same whether or not the address has an account (the view shows
one page either way); a link is queued only for an active account.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.auth import find_organiser
from core.db import db, write_transaction
from core.errors import ServiceError
from core.mail_render import MailDraft, mail_kind
from core.models import Organiser
from core.outbox import queue_email
from core.urls import external_url

SALT = "motesplats.password-reset"
KIND = "password_reset"


class ResetLinkError(ServiceError):
    """A link that cannot set a password: its page says why and offers a new one."""

    status = 400
    code = "invalid_link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age() -> int:
    return int(current_app.config["PASSWORD_RESET_SECONDS"])


def password_fingerprint(organiser: Organiser) -> str:
    """A keyed digest of the current password hash: changes whenever the password does, and
    tells nothing about the hash to whoever reads the link."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, organiser.password_hash.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def reset_token(organiser: Organiser) -> str:
    return str(_serializer().dumps({"id": organiser.id, "fp": password_fingerprint(organiser)}))


def reset_url(organiser: Organiser) -> str:
    return external_url("password_reset.reset", token=reset_token(organiser))


def organiser_for_token(token: str) -> Organiser:
    """The account a link may set the password of; ResetLinkError if it is garbled or forged
    (400), too old (410) or already used, or its account deactivated (410)."""
    try:
        data = _serializer().loads(token, max_age=max_age())
    except SignatureExpired as err:
        raise ResetLinkError(
            _l("This link has expired. Ask for a new one."), status=410, code="expired"
        ) from err
    except BadSignature as err:
        raise ResetLinkError(
            _l("This link is not valid. Check that you copied all of it, or ask for a new one.")
        ) from err
    organiser = None
    if isinstance(data, dict) and isinstance(data.get("id"), int):
        organiser = db.session.get(Organiser, data["id"])
    if organiser is None or not organiser.active:
        raise ResetLinkError(_l("This link can no longer be used."), status=410, code="gone")
    if not hmac.compare_digest(str(data.get("fp", "")), password_fingerprint(organiser)):
        raise ResetLinkError(
            _l("This link has already been used. Ask for a new one if you need it."),
            status=410,
            code="used",
        )
    return organiser


@write_transaction()
def request_reset(email: str, language: str) -> None:
    """Queue a reset link to this address if it belongs to an active account; nothing
    otherwise, and the caller answers the same either way."""
    organiser = find_organiser(email or "")
    if organiser is None or not organiser.active:
        return
    queue_email(
        organiser.email,
        KIND,
        language,
        {
            "name": organiser.name,
            "link": reset_url(organiser),
            "minutes": max_age() // 60,
        },
    )
    db.session.commit()


@mail_kind(KIND)
def _write(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    return MailDraft(
        "password_reset",
        _l("Reset your password for Mötesplats"),
        {"name": facts["name"], "link": facts["link"], "minutes": facts["minutes"]},
    )
