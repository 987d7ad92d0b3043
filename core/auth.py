"""Organiser accounts: sign-in for the pages, bearer tokens for the API."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from core.addresses import email_key
from core.db import db, utcnow, write_transaction
from core.errors import ServiceError, ValidationError
from core.extensions import login_manager
from core.models import ApiToken, Organiser


@login_manager.user_loader
def load_organiser(organiser_id: str) -> Organiser | None:
    """The signed-in organiser of a session or a remember cookie, read on every request: a
    deactivated account is None here, and so is one whose password changed since the session
    began (Organiser.get_id), so those sessions (and remember cookies) end at once."""
    key, _, fingerprint = organiser_id.partition(":")
    try:
        organiser = db.session.get(Organiser, int(key))
    except ValueError:
        return None
    if organiser is None or not organiser.active:
        return None
    if not secrets.compare_digest(fingerprint, organiser.session_fingerprint):
        return None
    return organiser


def find_organiser(email: str) -> Organiser | None:
    return db.session.scalar(sa.select(Organiser).where(Organiser.email == email_key(email)))


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> Organiser | None:
    """The active organiser with this email and password, else None.

    A password is hashed whether or not the account exists, so an unknown address takes as
    long as a wrong password and cannot be told apart by its answer or its time."""
    organiser = find_organiser(email)
    if organiser is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if organiser.check_password(password) and organiser.active:
        return organiser
    return None


@write_transaction()
def create_organiser(email: str, name: str, password: str, admin: bool = False) -> Organiser:
    email = email_key(email)
    if find_organiser(email):
        raise ValidationError({"email": _l("An organiser with this email already exists.")})
    if len(password) < 8:
        raise ValidationError({"password": _l("The password must have at least 8 characters.")})
    organiser = Organiser(email=email, name=name.strip(), role="admin" if admin else "organiser")
    organiser.set_password(password)
    db.session.add(organiser)
    db.session.commit()
    return organiser


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@write_transaction()
def create_api_token(organiser: Organiser, label: str = "") -> str:
    """A new token; only its hash is kept, so this is the one time it can be read. Its last
    four characters (hint) and the organiser's label tell it apart on their account page."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            organiser=organiser,
            token_hash=_hash(token),
            label=" ".join(label.split())[:100],
            hint=token[-4:],
        )
    )
    db.session.commit()
    return token


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


def organiser_from_token() -> Organiser:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_l("An organiser's API token is needed: Authorization: Bearer <token>."))
    api_token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == _hash(token.strip()))
    )
    if api_token is None or not api_token.organiser.active:
        raise Unauthorized(_l("The API token is not valid."))
    _note_use(api_token)
    return api_token.organiser


# A token's last use is written at most this often, so a busy client does not turn every
# read into a write; the account page shows the time to the minute.
LAST_USED_PRECISION = timedelta(seconds=60)


def _note_use(api_token: ApiToken) -> None:
    now = utcnow()
    if api_token.last_used_at is not None and now - api_token.last_used_at < LAST_USED_PRECISION:
        return
    token_id = api_token.id
    with write_transaction():
        db.session.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.id == token_id,
                sa.or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - LAST_USED_PRECISION,
                ),
            )
            .values(last_used_at=now)
        )
        db.session.commit()
