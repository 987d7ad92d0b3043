"""One registration's own pages: the organiser's page of one person
(/manage/events/<slug>/registrations/<id>: their details, sessions, confirmation sent again,
a place from the waiting list, and the emails sent to them) and the person's own correction
of their details from their manage link (/r/<token>/details).

Both send the same dict to one service, participants.details.update_details; the address is
read-only on both (it is the identity: a change of address is a new registration).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from core.audit import record_now
from core.errors import ServiceError, ValidationError
from core.extensions import limiter, public_limit
from core.outbox import messages_about, subject_of
from core.pages import MarkRequired, csrf_failed, current_organiser, put_errors
from events import queries as event_queries
from events.labels import LANGUAGE_LABELS, TARGET_GROUP_LABELS, sorted_target_groups
from events.models import TARGET_GROUPS, Event
from participants import details, queries, seats, services
from participants.forms import COUNTRY_LABELS, ConfirmForm, SessionsForm
from participants.labels import template_labels
from participants.models import Registration

bp = Blueprint("participants_registration", __name__)
bp.context_processor(template_labels)

# The fields in the order the pages show them (the error summary's order).
DETAIL_FIELDS = [
    "name",
    "role",
    "target_group",
    "language",
    "organisation",
    "country",
    "org_number",
    "needs",
]


class DetailsForm(FlaskForm):
    """The person's own correction of their details (no address, no target group)."""

    name = StringField(_l("Name"), validators=[MarkRequired()])
    role = StringField(_l("Role or title"))
    language = SelectField(
        _l("Preferred language for emails and your registration page"),
        choices=list(LANGUAGE_LABELS.items()),
        validate_choice=False,
    )
    organisation = StringField(_l("Organisation"), validators=[MarkRequired()])
    country = SelectField(
        _l("Country of the organisation"),
        choices=list(COUNTRY_LABELS.items()),
        validate_choice=False,
    )
    org_number = StringField(_l("Organisation number"))
    needs = TextAreaField(_l("Dietary and accessibility needs"))

    def load(self, registration: Registration) -> None:
        organisation = registration.organisation
        self.name.data = registration.name
        self.role.data = registration.role
        self.language.data = registration.language
        self.organisation.data = organisation.name
        self.country.data = organisation.country
        self.org_number.data = organisation.org_number or ""
        self.needs.data = registration.needs
        if "target_group" in self:
            self["target_group"].data = registration.target_group

    def as_service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name.data or "",
            "role": self.role.data or "",
            "language": self.language.data or "",
            "organisation": {
                "name": self.organisation.data or "",
                "org_number": self.org_number.data or "",
                "country": self.country.data or "SE",
            },
            "needs": self.needs.data or "",
        }
        if "target_group" in self:
            data["target_group"] = self["target_group"].data or ""
        return data


class OrganiserDetailsForm(DetailsForm):
    """An organiser corrects someone's details, target group included; labels speak of them."""

    name = StringField(_l("The person's name"), validators=[MarkRequired()])
    role = StringField(_l("Their role or title"))
    target_group = SelectField(
        _l("Target group"),
        choices=[(code, TARGET_GROUP_LABELS[code]) for code in sorted_target_groups(TARGET_GROUPS)],
        validate_choice=False,
    )
    language = SelectField(
        _l("Their language for emails and their registration page"),
        choices=list(LANGUAGE_LABELS.items()),
        validate_choice=False,
    )
    organisation = StringField(_l("Their organisation"), validators=[MarkRequired()])
    needs = TextAreaField(_l("Their dietary and accessibility needs"))


# --- the organiser's page of one registration ------------------------------------------------


def _event(slug: str) -> Event:
    return event_queries.get_managed_event(current_organiser(), slug)


def _organiser_page(
    event: Event,
    registration: Registration,
    form: OrganiserDetailsForm | None = None,
    sessions_form: SessionsForm | None = None,
    status: int = 200,
    general: list[str] | None = None,
) -> ResponseReturnValue:
    if form is None:
        form = OrganiserDetailsForm(formdata=None)
        form.load(registration)
    if sessions_form is None:
        sessions_form = SessionsForm(
            formdata=None, sessions=[str(s.id) for s in registration.sessions]
        )
    messages = messages_about(registration.id)
    return (
        render_template(
            "participants/registration.html",
            event=event,
            registration=registration,
            form=form,
            sessions_form=sessions_form,
            action_form=ConfirmForm(),
            chosen={str(v) for v in sessions_form.sessions.data or []},
            places_left=seats.session_places_left(event),
            can_change=services.may_change_sessions(registration),
            position=seats.waitlist_position(registration),
            reason=seats.waitlist_reason(registration),
            messages=[(m, subject_of(m)) for m in messages],
            field_order=DETAIL_FIELDS,
            general_errors=general or [],
        ),
        status,
    )


def _back(slug: str, registration_id: int, anchor: str = "") -> ResponseReturnValue:
    url = url_for(".registration", slug=slug, registration_id=registration_id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


@bp.route("/manage/events/<slug>/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def registration(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    person = queries.get_event_registration(event, registration_id)
    if request.method == "GET":
        page = _organiser_page(event, person)
        record_now("registration_viewed", event_id=event.id, subject=f"registration:{person.id}")
        return page
    form = OrganiserDetailsForm()
    if not form.validate():
        return _organiser_page(event, person, form, status=400, general=csrf_failed(form))
    try:
        details.update_details(person, form.as_service_data(), by_organiser=True)
    except ValidationError as err:
        general = put_errors(form, err.fields)
        return _organiser_page(event, person, form, status=422, general=general)
    except ServiceError as err:
        return _organiser_page(event, person, form, status=err.status, general=[str(err.message)])
    flash(_("The details of %(name)s are saved.", name=person.name), "success")
    return _back(slug, registration_id)


@bp.route("/manage/events/<slug>/registrations/<int:registration_id>/sessions", methods=["POST"])
@login_required
def sessions(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    person = queries.get_event_registration(event, registration_id)
    form = SessionsForm()
    if not form.validate():
        return _organiser_page(
            event, person, sessions_form=form, status=400, general=csrf_failed(form)
        )
    was = person.status
    try:
        person = services.change_sessions(person, form.sessions.data or [], by_organiser=True)
    except ValidationError as err:
        general = put_errors(form, err.fields)
        return _organiser_page(event, person, sessions_form=form, status=422, general=general)
    except ServiceError as err:
        return _organiser_page(
            event, person, sessions_form=form, status=err.status, general=[str(err.message)]
        )
    flash(_("The sessions of %(name)s are saved.", name=person.name), "success")
    if was == "waitlisted" and person.status == "confirmed":
        flash(_("%(name)s now has a place.", name=person.name), "success")
    return _back(slug, registration_id)


@bp.route("/manage/events/<slug>/registrations/<int:registration_id>/resend", methods=["POST"])
@login_required
def resend(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    person = queries.get_event_registration(event, registration_id)
    if not ConfirmForm().validate():
        return _organiser_page(
            event, person, status=400, general=[_("The form has expired. Please send it again.")]
        )
    try:
        kind = details.resend_confirmation(person)
    except ValidationError as err:
        return _organiser_page(event, person, status=409, general=[str(err.fields["status"])])
    if kind == "confirmed":
        flash(_("The confirmation is queued to %(email)s again.", email=person.email), "success")
    else:
        flash(
            _("The waiting-list notice is queued to %(email)s again.", email=person.email),
            "success",
        )
    return _back(slug, registration_id, "emails")


@bp.route("/manage/events/<slug>/registrations/<int:registration_id>/place", methods=["POST"])
@login_required
def give_place(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    person = queries.get_event_registration(event, registration_id)
    if not ConfirmForm().validate():
        return _organiser_page(
            event, person, status=400, general=[_("The form has expired. Please send it again.")]
        )
    try:
        services.confirm_from_waitlist(person)
    except ServiceError as err:
        return _organiser_page(
            event,
            person,
            status=err.status,
            general=[str(m) for m in (err.fields.values() or [err.message])],
        )
    flash(_("%(name)s now has a place.", name=person.name), "success")
    return _back(slug, registration_id)


# --- the person's own correction -------------------------------------------------------------


def _person_locale(registration: Registration) -> AbstractContextManager[Any]:
    """As participants.views: the person's language unless ?lang= says otherwise."""
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        return nullcontext()
    return force_locale(registration.language)


def _lang_args() -> dict[str, str]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in current_app.config["LANGUAGES"] else {}


def _details_page(
    registration: Registration,
    form: DetailsForm,
    status: int = 200,
    general: list[str] | None = None,
) -> ResponseReturnValue:
    return (
        render_template(
            "participants/details.html",
            registration=registration,
            event=registration.event,
            form=form,
            field_order=DETAIL_FIELDS,
            general_errors=general or [],
            lang_args=_lang_args(),
        ),
        status,
    )


@bp.route("/r/<token>/details", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def own_details(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    with _person_locale(registration):
        if request.method == "GET":
            form = DetailsForm(formdata=None)
            form.load(registration)
            status = 409 if registration.status == "cancelled" else 200
            return _details_page(registration, form, status)
        form = DetailsForm()
        if not form.validate():
            return _details_page(registration, form, 400, csrf_failed(form))
        try:
            details.update_details(registration, form.as_service_data(), by_organiser=False)
        except ValidationError as err:
            status = 409 if registration.status == "cancelled" else 422
            return _details_page(registration, form, status, put_errors(form, err.fields))
        flash(_("Your details are saved."), "success")
    return redirect(url_for("participants.manage", token=token, **_lang_args()))
