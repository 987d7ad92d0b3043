"""A person's own data and erasure (HTML and JSON): /r/<token>/data.json (a copy of
everything held about them), /r/<token>/erase (asking to be erased), and the administrators'
page of erasure requests, /manage/erasure-requests (approve or reject).

A person's pages are in the language of their registration unless ?lang= says otherwise, as
participants' own pages are.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from core.db import utcnow
from core.errors import Conflict, ServiceError, ValidationError
from core.extensions import limiter, public_limit
from core.pages import csrf_failed, current_organiser
from participants import queries
from participants.labels import template_labels
from participants.models import Registration
from privacy import erasure
from privacy.person_data import person_data

bp = Blueprint("privacy_person", __name__)
admin_bp = Blueprint("privacy_erasure", __name__, url_prefix="/manage/erasure-requests")
admin_bp.context_processor(template_labels)


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class RejectForm(FlaskForm):
    note = TextAreaField(_l("Why the request is rejected (sent to the person)"))


def _person_locale(registration: Registration) -> AbstractContextManager[Any]:
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        return nullcontext()
    return force_locale(registration.language)


def _lang_args() -> dict[str, str]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in current_app.config["LANGUAGES"] else {}


@bp.app_context_processor
def _privacy_helpers() -> dict[str, Any]:
    """For the manage page's privacy section (templates/privacy/_person_privacy.html)."""
    return {
        "pending_erasure": lambda registration: erasure.pending_request(registration.email),
        "pending_erasure_count": erasure.pending_count,
    }


@bp.route("/r/<token>/data.json")
def data(token: str) -> ResponseReturnValue:
    """Everything held about the holder of this link, as a file to save."""
    registration = queries.get_registration(token)
    body = json.dumps(person_data(registration), ensure_ascii=False, indent=2)
    filename = f"motesplats-personal-data-{utcnow().date().isoformat()}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/r/<token>/erase", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def erase(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    with _person_locale(registration):
        form = ConfirmForm()
        errors: list[str] = []
        status = 200
        if request.method == "POST":
            if not form.validate():
                errors, status = csrf_failed(form), 400
            else:
                try:
                    erasure.request_erasure(registration)
                except Conflict as err:
                    errors, status = [str(err.message)], err.status
                else:
                    flash(
                        _(
                            "Your request to be erased is received. We have sent you an email, "
                            "and will tell you what is decided."
                        ),
                        "success",
                    )
                    return redirect(url_for("participants.manage", token=token, **_lang_args()))
        return (
            render_template(
                "privacy/erase.html",
                registration=registration,
                event=registration.event,
                pending=erasure.pending_request(registration.email),
                form=form,
                general_errors=errors,
                lang_args=_lang_args(),
            ),
            status,
        )


# --- administrators -------------------------------------------------------------------------


@admin_bp.before_request
@login_required
def admins_only() -> None:
    if not current_user.is_admin:
        abort(403)


def _admin_page(
    forms: dict[int, RejectForm] | None = None, status: int = 200, errors: list[str] | None = None
) -> ResponseReturnValue:
    pending = erasure.pending_requests()
    forms = forms or {}
    return (
        render_template(
            "privacy/erasure_requests.html",
            pending=pending,
            decided=erasure.decided_requests(),
            reject_forms={
                s.request.id: forms.get(s.request.id) or RejectForm(formdata=None) for s in pending
            },
            confirm=ConfirmForm(formdata=None),
            general_errors=errors or [],
        ),
        status,
    )


@admin_bp.route("")
def index() -> ResponseReturnValue:
    return _admin_page()


@admin_bp.route("/<int:request_id>/approve", methods=["POST"])
def approve(request_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate():
        return _admin_page(status=400, errors=[_("The form has expired. Please send it again.")])
    try:
        done = erasure.approve(request_id, current_organiser())
    except ServiceError as err:
        return _admin_page(status=err.status, errors=[str(err.message)])
    flash(
        ngettext(
            "The request is approved: %(num)s registration is anonymised, and the person is told.",
            "The request is approved: %(num)s registrations are anonymised, and the person is "
            "told.",
            done.registrations_anonymised,
        ),
        "success",
    )
    return redirect(url_for(".index"))


@admin_bp.route("/<int:request_id>/reject", methods=["POST"])
def reject(request_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate():
        return _admin_page({request_id: form}, 400, csrf_failed(form))
    try:
        erasure.reject(request_id, current_organiser(), form.note.data or "")
    except ValidationError as err:
        form.note.errors = [str(m) for m in err.fields.values()]
        return _admin_page({request_id: form}, err.status)
    except ServiceError as err:
        return _admin_page(status=err.status, errors=[str(err.message)])
    flash(_("The request is rejected, and the person is told why."), "success")
    return redirect(url_for(".index"))
