"""Organiser accounts as an admin runs them: create, edit (name, email, role), deactivate and
reactivate; and an organiser's own account: their name, their password, their API tokens.

Sign-in itself, the password check and the tokens' hashing stay in core.auth (create_organiser
there is what the CLI and the tests use; create_account here is the admin's form with a role).
There is always at least one active admin: a change that would leave none is refused, so an
agency cannot lock itself out of its own accounts.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.addresses import email_key
from core.auth import create_organiser, find_organiser
from core.db import db, write_transaction
from core.errors import NotFound, ValidationError
from core.models import ROLES, ApiToken, Organiser

MIN_PASSWORD_LENGTH = 8
LAST_ADMIN = _l(
    "This is the last active administrator account. Make another account an administrator first."
)


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _l("Enter a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _l("The name can have at most 200 characters.")})
    return name


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError({"role": _l("Choose a role.")})
    return role


def check_new_password(password: str, confirm: str | None = None, field: str = "password") -> None:
    """The rules for a password someone chooses: at least 8 characters, typed twice alike."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError({field: _l("The password must have at least 8 characters.")})
    if confirm is not None and password != confirm:
        raise ValidationError({"confirm": _l("The two passwords are not the same.")})


def create_account(name: str, email: str, role: str, password: str) -> Organiser:
    """A new active account, created by an admin."""
    return create_organiser(email, _name(name), password, admin=_role(role) == "admin")


def _other_active_admins(organiser: Organiser) -> int:
    """How many active admins there are besides this one, their rows locked (PostgreSQL) so
    that two admins demoting each other at once cannot both succeed."""
    ids = db.session.scalars(
        sa.select(Organiser.id)
        .where(Organiser.role == "admin", Organiser.active.is_(True), Organiser.id != organiser.id)
        .with_for_update()
    ).all()
    return len(ids)


def _keeps_an_admin(organiser: Organiser, role: str, active: bool) -> bool:
    losing = organiser.is_admin and organiser.active and (role != "admin" or not active)
    return not losing or _other_active_admins(organiser) > 0


def get_account(organiser_id: int) -> Organiser:
    organiser = db.session.get(Organiser, organiser_id)
    if organiser is None:
        raise NotFound(_l("There is no such organiser account."))
    return organiser


@write_transaction()
def update_account(organiser: Organiser, name: str, email: str, role: str) -> Organiser:
    """An admin changes an account's name, email and role."""
    name, role, email = _name(name), _role(role), email_key(email or "")
    if not email or "@" not in email:
        raise ValidationError({"email": _l("Enter a valid email.")})
    other = find_organiser(email)
    if other is not None and other.id != organiser.id:
        raise ValidationError({"email": _l("An organiser with this email already exists.")})
    if not _keeps_an_admin(organiser, role, organiser.active):
        raise ValidationError({"role": LAST_ADMIN})
    organiser.name, organiser.email, organiser.role = name, email, role
    db.session.commit()
    return organiser


@write_transaction()
def deactivate_account(organiser: Organiser) -> Organiser:
    """The account can no longer sign in; its sessions and API tokens stop working at once
    (core.auth reads `active` on every request). Nothing it made is removed."""
    if not _keeps_an_admin(organiser, organiser.role, False):
        raise ValidationError({"active": LAST_ADMIN}, LAST_ADMIN)
    organiser.active = False
    db.session.commit()
    return organiser


@write_transaction()
def reactivate_account(organiser: Organiser) -> Organiser:
    organiser.active = True
    db.session.commit()
    return organiser


# --- an organiser's own account ------------------------------------------------------------


@write_transaction()
def rename(organiser: Organiser, name: str) -> Organiser:
    organiser.name = _name(name)
    db.session.commit()
    return organiser


@write_transaction()
def set_password(organiser: Organiser, password: str, confirm: str | None = None) -> None:
    """A new password (the reset link's page, and change_password). A new hash also makes
    every password reset link sent before it worthless (core.password_reset)."""
    check_new_password(password, confirm)
    organiser.set_password(password)
    db.session.commit()


def change_password(organiser: Organiser, current: str, password: str, confirm: str) -> None:
    """The organiser changes their own password, proving they know the current one."""
    if not organiser.check_password(current or ""):
        raise ValidationError({"current": _l("The current password is wrong.")})
    set_password(organiser, password, confirm)


def own_tokens(organiser: Organiser) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.organiser_id == organiser.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


@write_transaction()
def revoke_api_token(organiser: Organiser, token_id: int) -> ApiToken:
    """Delete one of the organiser's own tokens: it stops working at once. Another
    organiser's token is not found (404), whoever asks."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.organiser_id != organiser.id:
        raise NotFound(_l("There is no such API token."))
    db.session.delete(token)
    db.session.commit()
    return token
