"""Two-factor sign-in pages: the code step after the password (/login/code), setting it up
(at sign-in when an admin requires it, or from the account), the organiser's own page, and the
admin's switch that requires it of everyone (/manage/security).

Between the password and the code the session holds only a pending marker (the organiser's
id, valid for five minutes), never the sign-in itself: Flask-Login's login_user() is called
once the second factor is given."""

from __future__ import annotations

import unicodedata

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core import two_factor
from core.extensions import limiter
from core.models import Organiser

bp = Blueprint("two_factor", __name__, cli_group="two-factor")

# Reachable while an admin requires two-factor of an organiser who has not set it up yet.
SETUP_ENDPOINTS = frozenset({"two_factor.setup", "two_factor.account"})


# --- forms --------------------------------------------------------------------------------------


def _code_field(label: str | object) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class CodeForm(FlaskForm):
    code = _code_field(_l("Code from your authenticator app"))


class RecoveryForm(FlaskForm):
    recovery_code = StringField(
        _l("Recovery code"),
        validators=[DataRequired(_l("Enter a recovery code.")), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class IdentityForm(FlaskForm):
    secret = PasswordField(
        _l("Code from your authenticator app, or your password"),
        validators=[DataRequired(_l("Enter a code or your password."))],
    )


class RequireForm(FlaskForm):
    required = BooleanField(_l("Require two-factor sign-in for every organiser"))


# --- the pending marker -------------------------------------------------------------------------


def _pending_key() -> str:
    """Failed codes are counted per account, like failed passwords."""
    marker = session.get(two_factor.PENDING)
    if isinstance(marker, dict):
        return f"login-code:{marker.get('id')}"
    if current_user.is_authenticated:
        return f"login-code:{current_user.id}"
    return "login-code:"


def _address_key() -> str:
    return "login-code-address:" + (get_remote_address() or "")


def _failed(response: Response) -> bool:
    return response.status_code == 422


def _throttled_message() -> str:
    return _("Too many failed sign-in attempts. Please wait a few minutes and try again.")


def _throttled(view):  # type: ignore[no-untyped-def]
    """The sign-in rate limits (LOGIN_FAILURES_PER_*), counted on failed codes only."""
    view = limiter.limit(
        lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
        key_func=_address_key,
        methods=["POST"],
        deduct_when=_failed,
        error_message=_throttled_message,
    )(view)
    return limiter.limit(
        lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
        key_func=_pending_key,
        methods=["POST"],
        deduct_when=_failed,
        error_message=_throttled_message,
    )(view)


def _expired() -> Response:
    flash(_("Your sign-in took too long. Please enter your email and password again."), "info")
    return redirect(url_for("core.login"))


# --- the code step ------------------------------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@_throttled
def code():
    organiser = two_factor.pending_organiser(setup=False)
    if organiser is None:
        return _expired()
    form, recovery = CodeForm(), RecoveryForm()
    using_recovery = "recovery_code" in request.form
    if using_recovery and recovery.validate_on_submit():
        if two_factor.use_recovery_code(organiser, recovery.recovery_code.data):
            return _signed_in(organiser, used_recovery=True)
        recovery.recovery_code.errors.append(_("The recovery code is wrong or already used."))
    elif not using_recovery and form.validate_on_submit():
        if two_factor.verify_code(organiser, form.code.data):
            return _signed_in(organiser)
        form.code.errors.append(_("The code is wrong or has already been used."))
    failed = bool(form.errors or recovery.errors)
    page = render_template(
        "core/two_factor_code.html", form=form, recovery=recovery, open_recovery=using_recovery
    )
    return page, 422 if failed else 200


def _signed_in(organiser: Organiser, used_recovery: bool = False) -> Response:
    marker = session.get(two_factor.PENDING) or {}
    two_factor.complete_sign_in(organiser, bool(marker.get("remember")))
    if used_recovery:
        left = two_factor.remaining_recovery_codes(organiser)
        flash(
            _(
                "You signed in with a recovery code. You have %(n)s left; make new ones on "
                "your two-factor page if you are running out.",
                n=left,
            ),
            "info",
        )
    return redirect(two_factor.destination(marker.get("next")))


# --- setting up ---------------------------------------------------------------------------------


def _setup_secret(organiser: Organiser) -> str:
    """The secret being set up for this organiser, kept in the session until confirmed."""
    held = session.get(two_factor.SETUP_SECRET)
    if isinstance(held, dict) and held.get("id") == organiser.id and held.get("secret"):
        return held["secret"]
    secret = two_factor.begin_setup()
    session[two_factor.SETUP_SECRET] = {"id": organiser.id, "secret": secret}
    return secret


def _setup_page(organiser: Organiser, at_login: bool):
    """The setup page (GET), or the confirmation (POST): recovery codes shown once."""
    secret = _setup_secret(organiser)
    form = CodeForm()
    if form.validate_on_submit():
        codes = two_factor.confirm_setup(organiser, secret, form.code.data)
        if codes is not None:
            session.pop(two_factor.SETUP_SECRET, None)
            if at_login:
                marker = session.get(two_factor.PENDING) or {}
                two_factor.complete_sign_in(organiser, bool(marker.get("remember")))
                onward = two_factor.destination(marker.get("next"))
            else:
                onward = url_for("two_factor.account")
            return render_template(
                "core/two_factor_recovery_codes.html", codes=codes, onward=onward, new_setup=True
            )
        form.code.errors.append(_("The code is wrong. Check the key and try the newest code."))
    uri = two_factor.provisioning_uri(organiser, secret)
    page = render_template(
        "core/two_factor_setup.html",
        form=form,
        secret=two_factor.grouped(secret),
        qr=two_factor.qr_svg(uri, _("QR code for your authenticator app")),
        at_login=at_login,
        required=two_factor.two_factor_required(),
    )
    return page, 422 if form.errors else 200


@bp.route("/login/setup", methods=["GET", "POST"])
@_throttled
def login_setup():
    """Setting two-factor up after the password, when an admin requires it."""
    organiser = two_factor.pending_organiser(setup=True)
    if organiser is None or organiser.totp_secret:
        # Set up meanwhile (in another browser): a half-done sign-in must not replace it.
        session.pop(two_factor.PENDING, None)
        return _expired()
    return _setup_page(organiser, at_login=True)


@bp.route("/manage/account/two-factor/setup", methods=["GET", "POST"])
@login_required
@_throttled
def setup():
    if current_user.totp_secret:
        return redirect(url_for("two_factor.account"))
    return _setup_page(current_user, at_login=False)


# --- the organiser's own page -------------------------------------------------------------------


def _account_page(disable_form: IdentityForm, recovery_form: IdentityForm, status: int = 200):
    page = render_template(
        "core/two_factor_account.html",
        enabled=bool(current_user.totp_secret),
        remaining=two_factor.remaining_recovery_codes(current_user),
        required=two_factor.two_factor_required(),
        disable_form=disable_form,
        recovery_form=recovery_form,
    )
    return page, status


@bp.route("/manage/account/two-factor")
@login_required
def account():
    return _account_page(IdentityForm(prefix="disable"), IdentityForm(prefix="recovery"))


@bp.route("/manage/account/two-factor/disable", methods=["POST"])
@login_required
@_throttled
def disable():
    form = IdentityForm(prefix="disable")
    if form.validate_on_submit():
        if two_factor.disable(current_user, form.secret.data):
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("two_factor.account"))
        form.secret.errors.append(_("The code or password is wrong."))
    return _account_page(form, IdentityForm(prefix="recovery", formdata=None), 422)


@bp.route("/manage/account/two-factor/recovery-codes", methods=["POST"])
@login_required
@_throttled
def recovery_codes():
    form = IdentityForm(prefix="recovery")
    if form.validate_on_submit():
        codes = two_factor.regenerate_recovery_codes(current_user, form.secret.data)
        if codes is not None:
            return render_template(
                "core/two_factor_recovery_codes.html",
                codes=codes,
                onward=url_for("two_factor.account"),
                new_setup=False,
            )
        form.secret.errors.append(_("The code or password is wrong."))
    return _account_page(IdentityForm(prefix="disable", formdata=None), form, 422)


# --- the admin's switch -------------------------------------------------------------------------


@bp.route("/manage/security", methods=["GET", "POST"])
@login_required
def security():
    if not current_user.is_admin:
        abort(403)
    form = RequireForm()
    if request.method == "GET":
        form.required.data = two_factor.two_factor_required()
    elif form.validate_on_submit():
        two_factor.set_two_factor_required(current_user, bool(form.required.data))
        flash(
            _("Every organiser must now use two-factor sign-in.")
            if form.required.data
            else _("Two-factor sign-in is now each organiser's own choice."),
            "success",
        )
        return redirect(url_for("two_factor.security"))
    return render_template(
        "core/two_factor_security.html",
        form=form,
        without=two_factor.organisers_without_two_factor(),
    )


# --- an admin's requirement holds for sessions that began before it -----------------------------


@bp.before_app_request
def require_setup() -> Response | None:
    """An organiser already signed in when an admin required two-factor, or who turned it
    off meanwhile, sets it up before any other management page."""
    if not request.path.startswith("/manage") or request.endpoint in SETUP_ENDPOINTS:
        return None
    if not current_user.is_authenticated or current_user.totp_secret:
        return None
    if two_factor.two_factor_required():
        return redirect(url_for("two_factor.setup"))
    return None


# --- the command line ---------------------------------------------------------------------------


@bp.cli.command("reset")
@click.argument("email")
def reset_command(email: str) -> None:
    """Turn two-factor sign-in off for an organiser who lost the app and the recovery codes
    (they sign in with the password and, if it is required, set it up again)."""
    from core.auth import find_organiser

    organiser = find_organiser(unicodedata.normalize("NFKC", email))
    if organiser is None:
        raise click.ClickException(f"No organiser with the email {email}.")
    two_factor.reset_two_factor(organiser)
    click.echo(f"Two-factor sign-in is off for {organiser.email}.")
