"""Sign-in and the accessibility statement (accounts: core/account_views.py; the privacy
page: privacy/views.py)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from core.auth import authenticate
from core.extensions import limiter
from core.forms import LoginForm
from core.two_factor import PENDING, after_password

bp = Blueprint("core", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, so the login page cannot redirect elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_email_key() -> str:
    """Failed sign-ins are counted per account: the email as find_organiser reads it."""
    email = unicodedata.normalize("NFKC", request.form.get("email") or "")
    return "login-email:" + email.strip().casefold()[:320]


def _login_address_key() -> str:
    return "login-address:" + (get_remote_address() or "")


def _failed(response: Response) -> bool:
    return response.status_code == 422


def _throttled_message() -> str:
    return _("Too many failed sign-in attempts. Please wait a few minutes and try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
    key_func=_login_address_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=_throttled_message,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
    key_func=_login_email_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=_throttled_message,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events_manage.index"))
    form = LoginForm()
    if form.validate_on_submit():
        organiser = authenticate(form.email.data, form.password.data)
        if organiser:  # the code step next, when two-factor is on or required
            next_url = _safe_next(request.args.get("next"))
            return redirect(after_password(organiser, form.remember.data, next_url))
        form.password.errors.append(_("The email or password is wrong."))
    return render_template("core/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.pop(PENDING, None)  # a sign-in half done (password, no code yet) ends too
    flash(_("You are signed out."), "info")
    return redirect(url_for("events.index"))


@bp.route("/accessibility")
def accessibility():
    return render_template("core/accessibility.html")
