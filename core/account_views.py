"""Organiser accounts' pages: the admin's list, new account and edit page (/manage/organisers),
and every organiser's own account (/manage/account: name, password, API tokens)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm

from core import accounts
from core.account_forms import AccountForm, NameForm, NewAccountForm, PasswordChangeForm, TokenForm
from core.auth import create_api_token
from core.db import db
from core.errors import ValidationError
from core.i18n import format_clock, format_short_day
from core.models import Organiser

bp = Blueprint("accounts", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def signed_in() -> None:
    """Every page here is an organiser's."""


def _admins_only() -> None:
    if not current_user.is_admin:
        abort(403)


def local_time(moment: datetime | None) -> str:
    """A moment as the agency reads it: Stockholm time (DEFAULT_TIMEZONE)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    return f"{format_short_day(local)} {format_clock(local)}"


def _show(form: FlaskForm, err: ValidationError) -> None:
    """A service's field errors beside the form's fields (or the form's first field)."""
    for name, message in err.fields.items():
        target = form[name] if name in form else next(iter(form))
        target.errors = [*target.errors, str(message)]


# --- the admin's pages ---------------------------------------------------------------------


@bp.route("/organisers", methods=["GET", "POST"])
def organisers() -> ResponseReturnValue:
    _admins_only()
    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            accounts.create_account(
                form.name.data, form.email.data, form.role.data, form.password.data
            )
        except ValidationError as err:
            _show(form, err)
        else:
            flash(_("Organiser account created."), "success")
            return redirect(url_for("accounts.organisers"))
    people = db.session.scalars(db.select(Organiser).order_by(Organiser.name)).all()
    status = 422 if form.errors else 200
    return render_template(
        "core/organisers.html", form=form, organisers=people, local_time=local_time
    ), status


@bp.route("/organisers/<int:organiser_id>", methods=["GET", "POST"])
def organiser(organiser_id: int) -> ResponseReturnValue:
    _admins_only()
    person = accounts.get_account(organiser_id)
    form = AccountForm(obj=person)
    if form.validate_on_submit():
        try:
            accounts.update_account(person, form.name.data, form.email.data, form.role.data)
        except ValidationError as err:
            _show(form, err)
        else:
            flash(_("The account of %(name)s is saved.", name=person.name), "success")
            return redirect(url_for("accounts.organisers"))
    status = 422 if form.errors else 200
    return render_template(
        "core/organiser.html", form=form, person=person, local_time=local_time
    ), status


@bp.route("/organisers/<int:organiser_id>/deactivate", methods=["POST"])
def deactivate(organiser_id: int) -> ResponseReturnValue:
    _admins_only()
    person = accounts.get_account(organiser_id)
    try:
        accounts.deactivate_account(person)
    except ValidationError as err:
        flash(str(err.message), "error")
        return redirect(url_for("accounts.organiser", organiser_id=organiser_id))
    flash(_("The account of %(name)s is deactivated.", name=person.name), "success")
    return redirect(url_for("accounts.organisers"))


@bp.route("/organisers/<int:organiser_id>/reactivate", methods=["POST"])
def reactivate(organiser_id: int) -> ResponseReturnValue:
    _admins_only()
    person = accounts.reactivate_account(accounts.get_account(organiser_id))
    flash(_("The account of %(name)s is active again.", name=person.name), "success")
    return redirect(url_for("accounts.organisers"))


# --- an organiser's own account ------------------------------------------------------------


def _account_page(
    name_form: NameForm | None = None,
    password_form: PasswordChangeForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str | None = None,
) -> ResponseReturnValue:
    forms = {
        "name_form": name_form or NameForm(prefix="name", obj=current_user),
        "password_form": password_form or PasswordChangeForm(prefix="password", formdata=None),
        "token_form": token_form or TokenForm(prefix="token", formdata=None),
    }
    failed = next((f for f in forms.values() if f.errors), None)
    return render_template(
        "core/account.html",
        **forms,
        failed=failed,
        tokens=accounts.own_tokens(current_user),
        new_token=new_token,
        local_time=local_time,
    ), (422 if failed else 200)


@bp.route("/account")
def account() -> ResponseReturnValue:
    return _account_page()


@bp.route("/account/name", methods=["POST"])
def rename() -> ResponseReturnValue:
    form = NameForm(prefix="name")
    if form.validate_on_submit():
        try:
            accounts.rename(current_user, form.name.data)
        except ValidationError as err:
            _show(form, err)
        else:
            flash(_("Your name is saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(name_form=form)


@bp.route("/account/password", methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm(prefix="password")
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current.data, form.password.data, form.confirm.data
            )
        except ValidationError as err:
            _show(form, err)
        else:
            # The new password ends every session (core.auth.load_organiser): this one goes
            # on under the new fingerprint, with its remember cookie if it had one.
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(current_user._get_current_object(), remember=remember in request.cookies)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(password_form=form)


@bp.route("/account/tokens", methods=["POST"])
def new_token() -> ResponseReturnValue:
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _account_page(token_form=form)
    token = create_api_token(current_user, form.label.data)
    # Shown on this answer only (never in a redirect's flash, which the session cookie keeps).
    return _account_page(new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = accounts.revoke_api_token(current_user, token_id)
    flash(_("The token “%(label)s” is revoked: it no longer works.", label=token.label), "success")
    return redirect(url_for("accounts.account"))
