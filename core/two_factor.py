"""Two-factor sign-in: a time-based one-time code from an authenticator app (RFC 6238, pyotp),
single-use recovery codes, and the site setting by which an admin requires it of everyone.

Every function that checks a code takes an optional ``now`` (an aware UTC datetime), so tests
drive the clock; the views pass nothing and get the real time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from markupsafe import Markup, escape

from core.db import db, utcnow, write_transaction
from core.errors import ServiceError
from core.models import Organiser, RecoveryCode, SiteSetting

ISSUER = "Mötesplats"
RECOVERY_CODE_COUNT = 10
REQUIRE_SETTING = "require_two_factor"
# An unambiguous alphabet (no 0/o, 1/l/i): a code is read off paper and typed by hand.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 10  # about 50 bits: enough against guessing, with the sign-in rate limits


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


def _step_key(organiser_id: int) -> str:
    """The site setting holding the last time step an organiser's code was accepted for."""
    return f"two_factor_step:{organiser_id}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalise_recovery(code: str) -> str:
    return "".join(c for c in (code or "").casefold() if c not in " -\t")


def _normalise_code(code: str) -> str:
    return "".join((code or "").split())


# --- setting up ---------------------------------------------------------------------------------


def begin_setup() -> str:
    """A new secret for the authenticator app. Not saved: the caller keeps it (in the session)
    until confirm_setup() proves the app has it."""
    return pyotp.random_base32()


def provisioning_uri(organiser: Organiser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=organiser.email, issuer_name=ISSUER)


def qr_svg(uri: str, label: str) -> Markup:
    """The address as a QR code in inline SVG (no script, no image request, allowed by our CSP),
    named for screen readers; the page also shows the secret as text."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, light="#fff", omitsize=False)
    return Markup(
        svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, within one step either side of now (pyotp's
    valid_window=1), else None."""
    code = _normalise_code(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    if not totp.verify(code, for_time=now, valid_window=1):
        return None
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _lock_organiser(organiser: Organiser) -> None:
    """On PostgreSQL the organiser's row is locked, so two requests with one code cannot both
    pass; on SQLite write_transaction() has taken the write lock already."""
    db.session.execute(
        sa.select(Organiser.id).where(Organiser.id == organiser.id).with_for_update()
    )


def _last_step(organiser: Organiser) -> int | None:
    setting = db.session.get(SiteSetting, _step_key(organiser.id))
    return None if setting is None else int(setting.value)


def _keep_step(organiser: Organiser, step: int) -> None:
    setting = db.session.get(SiteSetting, _step_key(organiser.id))
    if setting is None:
        db.session.add(SiteSetting(key=_step_key(organiser.id), value=step))
    else:
        setting.value = step


def _new_recovery_codes(organiser: Organiser) -> list[str]:
    """Replace the organiser's recovery codes with new ones; only their hashes are kept."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _c in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(organiser_id=organiser.id, code_hash=_hash(raw)))
    return codes


@write_transaction()
def confirm_setup(
    organiser: Organiser, secret: str, code: str, now: datetime | None = None
) -> list[str] | None:
    """Save the secret if the code comes from it, with 10 new recovery codes, which are
    returned: this is the one time they can be read. None when the code is wrong."""
    step = _matching_step(secret, code, now or utcnow())
    if step is None:
        return None
    _lock_organiser(organiser)
    organiser.totp_secret = secret
    _keep_step(organiser, step)  # the code that confirmed cannot sign in a second time
    codes = _new_recovery_codes(organiser)
    db.session.commit()
    return codes


# --- signing in ---------------------------------------------------------------------------------


@write_transaction()
def verify_code(organiser: Organiser, code: str, now: datetime | None = None) -> bool:
    """Whether the code from the organiser's app is right now. A code is accepted once: any
    code of the step last accepted or an earlier one is refused (RFC 6238, section 5.2)."""
    if not organiser.totp_secret:
        return False
    step = _matching_step(organiser.totp_secret, code, now or utcnow())
    if step is None:
        return False
    _lock_organiser(organiser)
    last = _last_step(organiser)
    if last is not None and step <= last:
        return False
    _keep_step(organiser, step)
    db.session.commit()
    return True


@write_transaction()
def use_recovery_code(organiser: Organiser, code: str, now: datetime | None = None) -> bool:
    """Whether the code is one of the organiser's unused recovery codes; it is used up."""
    raw = _normalise_recovery(code)
    if not organiser.totp_secret or len(raw) != _RECOVERY_LENGTH:
        return False
    # One conditional update: two requests with the same code cannot both succeed.
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.organiser_id == organiser.id,
            RecoveryCode.code_hash == _hash(raw),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def remaining_recovery_codes(organiser: Organiser) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None))
    )


@write_transaction()
def record_sign_in(organiser: Organiser, now: datetime | None = None) -> None:
    organiser.last_login_at = now or utcnow()
    db.session.commit()


# --- changing it --------------------------------------------------------------------------------


def _proves_identity(organiser: Organiser, code_or_password: str, now: datetime | None) -> bool:
    """A current code from the app, or the password: someone at an unattended signed-in
    computer can neither turn two-factor off nor read new recovery codes."""
    if not code_or_password:
        return False
    if verify_code(organiser, code_or_password, now):
        return True
    return organiser.check_password(code_or_password)


def disable(organiser: Organiser, code_or_password: str, now: datetime | None = None) -> bool:
    """Turn two-factor sign-in off (secret, recovery codes and last step go); False when
    neither a current code nor the password was given."""
    if not organiser.totp_secret or not _proves_identity(organiser, code_or_password, now):
        return False
    reset_two_factor(organiser)
    return True


@write_transaction()
def reset_two_factor(organiser: Organiser) -> None:
    """Two-factor off for this organiser without a check: for disable(), and for an admin or
    the command line when an organiser has lost both the app and the recovery codes."""
    _lock_organiser(organiser)
    organiser.totp_secret = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    db.session.execute(sa.delete(SiteSetting).where(SiteSetting.key == _step_key(organiser.id)))
    db.session.commit()


def regenerate_recovery_codes(
    organiser: Organiser, code_or_password: str, now: datetime | None = None
) -> list[str] | None:
    """New recovery codes in place of the old ones (all of which stop working); None when
    neither a current code nor the password was given."""
    if not organiser.totp_secret or not _proves_identity(organiser, code_or_password, now):
        return None
    with write_transaction():
        codes = _new_recovery_codes(organiser)
        db.session.commit()
    return codes


# --- the site setting ---------------------------------------------------------------------------


def two_factor_required() -> bool:
    """Whether an admin requires two-factor sign-in of every organiser."""
    setting = db.session.get(SiteSetting, REQUIRE_SETTING)
    return bool(setting and setting.value)


@write_transaction()
def set_two_factor_required(by: Organiser, required: bool) -> None:
    if not by.is_admin:
        raise Forbidden(_l("Only an administrator can change this."))
    setting = db.session.get(SiteSetting, REQUIRE_SETTING)
    if setting is None:
        db.session.add(SiteSetting(key=REQUIRE_SETTING, value=bool(required)))
    else:
        setting.value = bool(required)
    db.session.commit()


def organisers_without_two_factor() -> int:
    """How many active organisers have not set it up: the admin sees it beside the switch."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Organiser)
        .where(Organiser.active.is_(True), Organiser.totp_secret.is_(None))
    )


# --- the sign-in in the session -----------------------------------------------------------------
#
# Between the password and the code the session holds only a pending marker (the organiser's
# id, valid for five minutes), never the sign-in itself: login_user() is called once the second
# factor is given. The login view and the two-factor pages share these.

PENDING = "two_factor_pending"  # the session key of the marker between password and code
SETUP_SECRET = "two_factor_setup"  # the secret being set up, until a code confirms it
PENDING_LIFETIME = timedelta(minutes=5)


def pending_organiser(setup: bool) -> Organiser | None:
    """The organiser whose password was right less than five minutes ago, waiting for the code
    (setup=False) or for setting two-factor up (setup=True); None otherwise."""
    marker = session.get(PENDING)
    if not isinstance(marker, dict) or bool(marker.get("setup")) != setup:
        return None
    if utcnow().timestamp() > float(marker.get("until", 0)):
        session.pop(PENDING, None)
        return None
    organiser = db.session.get(Organiser, int(marker.get("id", 0)))
    if organiser is None or not organiser.active:
        return None
    return organiser


def destination(next_url: str | None) -> str:
    return next_url or url_for("events_manage.index")


def complete_sign_in(organiser: Organiser, remember: bool = False) -> None:
    """Sign in for real: after the password alone, or after the password and the code."""
    session.pop(PENDING, None)
    session.pop(SETUP_SECRET, None)
    login_user(organiser, remember=remember)
    record_sign_in(organiser)


def after_password(
    organiser: Organiser, remember: bool = False, next_url: str | None = None
) -> str:
    """Where an organiser goes once the password is right: the code step when two-factor is
    on, setting it up when an admin requires it, else straight in (signed in here). Any other
    way into an account (a password reset, say) must go through this too, not login_user()."""
    needs_code = bool(organiser.totp_secret)
    if needs_code or two_factor_required():
        session.pop(SETUP_SECRET, None)
        session[PENDING] = {
            "id": organiser.id,
            "until": (utcnow() + PENDING_LIFETIME).timestamp(),
            "remember": bool(remember),
            "next": next_url,
            "setup": not needs_code,
        }
        return url_for("two_factor.code" if needs_code else "two_factor.login_setup")
    complete_sign_in(organiser, remember)
    return destination(next_url)
