"""The password reset pages: ask for a link (/password/forgot), set a new password from it
(/password/reset/<token>), then sign in on the login page.

After a reset the organiser signs in through the login page like any other time, rather than
being signed in by the link, so whatever the sign-in asks besides the password (a two-factor
code) is still asked."""

from __future__ import annotations

import unicodedata

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from core import accounts
from core.account_forms import ForgotPasswordForm, ResetPasswordForm
from core.errors import ValidationError
from core.extensions import limiter
from core.i18n import current_language
from core.password_reset import ResetLinkError, max_age, organiser_for_token, request_reset

bp = Blueprint("password_reset", __name__, url_prefix="/password")


def _email_key() -> str:
    """Requests are counted per address asked for, as core.auth.find_organiser reads it."""
    email = unicodedata.normalize("NFKC", request.form.get("email") or "")
    return "password-reset-email:" + email.strip().casefold()[:320]


def _address_key() -> str:
    return "password-reset-address:" + (get_remote_address() or "")


def _throttled_message() -> str:
    return _("Too many requests for a password reset link. Please wait and try again later.")


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESETS_PER_ADDRESS"],
    key_func=_address_key,
    methods=["POST"],
    error_message=_throttled_message,
)
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESETS_PER_ACCOUNT"],
    key_func=_email_key,
    methods=["POST"],
    error_message=_throttled_message,
)
def forgot() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same page whether or not the address has an account.
        request_reset(form.email.data, current_language())
        return render_template(
            "core/password_forgot_sent.html", email=form.email.data, minutes=max_age() // 60
        )
    return render_template("core/password_forgot.html", form=form), (422 if form.errors else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    try:
        organiser = organiser_for_token(token)
    except ResetLinkError as err:
        return render_template("core/password_reset_invalid.html", message=err.message), err.status
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(organiser, form.password.data, form.confirm.data)
        except ValidationError as err:
            for name, message in err.fields.items():
                form[name].errors = [*form[name].errors, str(message)]
        else:
            flash(_("Your password is changed. Sign in with your new password."), "success")
            return redirect(url_for("core.login"))
    return render_template("core/password_reset.html", form=form, email=organiser.email), (
        422 if form.errors else 200
    )
