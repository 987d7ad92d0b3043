"""Registration pages for participants (HTML): registering, and a person's own pages under
/r/<token> (change sessions, cancel, ticket, calendar file). Organisers' pages are
participants/manage_views.py.

Views are thin: they turn the form into the same dict the JSON API takes, call
participants.services, and put the service's field messages back next to the fields.

Language of a person's own pages (/r/<token>/…): the language they chose when registering
(`Registration.language`), whatever the browser or an earlier visit chose, so a link opened
from an email reads as the email did. `?lang=` in the address overrides it, and the pages keep
that `lang` in their own links and forms.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _

from core.errors import Conflict, ServiceError, ValidationError
from core.extensions import limiter, public_limit
from core.i18n import current_language
from core.pages import csrf_failed, download, put_errors
from core.urls import external_url
from events import queries as event_queries
from events.calendar import event_calendar
from events.calendar_links import calendar_links
from events.models import LANGUAGES, Event
from participants import hooks, queries, seats, services, window
from participants.emails import join_url, registration_uid
from participants.forms import (
    ConfirmForm,
    RegistrationForm,
    SessionsForm,
)
from participants.labels import template_labels
from participants.models import Registration

bp = Blueprint("participants", __name__)


bp.context_processor(template_labels)


def registration_info(event: Event) -> dict[str, Any]:
    """What the event page shows about registering (templates/participants/
    _event_registration.html): the state and why it is closed, seats left, the waiting list."""
    return {
        **window.registration_summary(event),
        "register_url": url_for("participants.register", slug=event.slug),
    }


@bp.app_context_processor
def _registration_helpers() -> dict[str, Any]:
    return {"registration_info": registration_info}


# --- registering -------------------------------------------------------------------------------


def _register_page(
    event: Event,
    form: RegistrationForm,
    status: int = 200,
    general: list[str] | None = None,
    closed_message: Any = None,
    notice: str | None = None,
) -> ResponseReturnValue:
    state = window.registration_state(event)
    return (
        render_template(
            "participants/register.html",
            event=event,
            form=form,
            state=state,
            closed_message=closed_message
            or (window.STATE_MESSAGES.get(state) if state != "open" else None),
            places_left=seats.session_places_left(event),
            chosen={str(v) for v in form.sessions.data or []},
            general_errors=general or [],
            notice=notice,
        ),
        status,
    )


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def register(slug: str) -> ResponseReturnValue:
    event = event_queries.get_public_event(slug)
    form = RegistrationForm()
    form.set_target_groups(event.target_group_codes)
    if request.method == "GET":
        language = current_language()
        form.language.data = language if language in LANGUAGES else event.language
        if len(event.target_group_codes) == 1:
            form.target_group.data = event.target_group_codes[0]
        invitation = request.args.get("invitation", "")
        if invitation:  # from a personal invitation link: what we know, for them to check
            known = hooks.prefill(event, invitation)
            if known:
                form.prefill(known)
                form.invitation.data = invitation
    if window.registration_state(event) != "open":
        return _register_page(event, form, 409 if request.method == "POST" else 200)
    if request.method == "GET":
        return _register_page(event, form)
    if not form.validate():  # only the CSRF token is checked here
        return _register_page(event, form, 400, csrf_failed(form))
    try:
        registration = services.register(event, form.as_service_data())
    except services.AlreadyRegistered as err:
        # Harmless: the link is emailed again. A notice, not an error.
        return _register_page(event, form, 409, notice=str(err.message))
    except (window.RegistrationClosed, window.EventCancelled) as err:
        return _register_page(event, form, 409, closed_message=err.message)
    except ValidationError as err:
        return _register_page(event, form, 422, put_errors(form, err.fields))
    if form.invitation.data:  # no extra work on the ordinary registration
        hooks.registered_by_invitation.send(
            registration.id, invitation=form.invitation.data, event_id=event.id
        )
    with force_locale(registration.language):
        if registration.status == "confirmed":
            flash(
                _("Thank you, you are registered. We have sent a confirmation by email."), "success"
            )
        else:
            flash(_("You are on the waiting list. We have sent the details by email."), "info")
    return redirect(url_for("participants.manage", token=registration.token))


# --- a person's own registration -----------------------------------------------------------------


def _person_locale(registration: Registration) -> AbstractContextManager[Any]:
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        return nullcontext()
    return force_locale(registration.language)


def _lang_args() -> dict[str, str]:
    """Keep an explicit ?lang= on the person's own links."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang in current_app.config["LANGUAGES"] else {}


def _personal_calendar(registration: Registration) -> dict[str, str] | None:
    """The person's "Add to Google Calendar" and "Add to Outlook" links (their sessions and,
    when confirmed, the join link); None without a place or once the event has ended."""
    if not registration.holds_place:
        return None
    return calendar_links(
        registration.event,
        sessions=list(registration.sessions),
        join_url=join_url(registration),
    )


def _manage_page(
    registration: Registration,
    form: SessionsForm | None = None,
    status: int = 200,
    general: list[str] | None = None,
) -> ResponseReturnValue:
    event = registration.event
    if form is None:
        form = SessionsForm(formdata=None, sessions=[str(s.id) for s in registration.sessions])
    return (
        render_template(
            "participants/manage.html",
            registration=registration,
            event=event,
            position=seats.waitlist_position(registration),
            reason=seats.waitlist_reason(registration),
            can_change=services.may_change_sessions(registration),
            join_url=join_url(registration),
            personal_calendar=_personal_calendar(registration),
            form=form,
            chosen={str(v) for v in form.sessions.data or []},
            places_left=seats.session_places_left(event),
            general_errors=general or [],
            lang_args=_lang_args(),
            consent=hooks.consent_note(registration),
        ),
        status,
    )


@bp.route("/r/<token>")
def manage(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    with _person_locale(registration):
        return _manage_page(registration)


@bp.route("/r/<token>/sessions", methods=["POST"])
@limiter.limit(public_limit)
def change_sessions(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    with _person_locale(registration):
        form = SessionsForm()
        if not form.validate():
            return _manage_page(registration, form, 400, csrf_failed(form))
        was = registration.status
        try:
            registration = services.change_sessions(registration, form.sessions.data or [])
        except ValidationError as err:
            return _manage_page(registration, form, 422, put_errors(form, err.fields))
        except ServiceError as err:
            return _manage_page(registration, form, err.status, [str(err.message)])
        flash(_("Your choice of sessions is saved."), "success")
        if was == "waitlisted" and registration.status == "confirmed":
            flash(_("You now have a place at the event."), "success")
    return redirect(url_for("participants.manage", token=token, **_lang_args()))


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def cancel(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    with _person_locale(registration):
        form = ConfirmForm()
        if request.method == "POST" and registration.status != "cancelled" and form.validate():
            services.cancel(registration)
            flash(_("Your registration is cancelled. Thank you for letting us know."), "success")
            return redirect(url_for("participants.manage", token=token, **_lang_args()))
        return render_template(
            "participants/cancel.html",
            registration=registration,
            event=registration.event,
            form=form,
            general_errors=csrf_failed(form) if request.method == "POST" else [],
            lang_args=_lang_args(),
        )


@bp.route("/r/<token>/ticket")
def ticket(token: str) -> ResponseReturnValue:
    """The QR code for the door; a waitlisted or cancelled person gets a page saying why
    there is none (Registration.holds_place)."""
    registration = queries.get_registration(token)
    qr_data_uri = checkin_url = None
    if registration.holds_place:
        checkin_url = external_url("participants_checkin.ticket", token=token)
        qr_data_uri = segno.make_qr(checkin_url, error="m").png_data_uri(scale=5, border=4)
    with _person_locale(registration):
        return render_template(
            "participants/ticket.html",
            registration=registration,
            event=registration.event,
            qr_data_uri=qr_data_uri,
            checkin_url=checkin_url,
            lang_args=_lang_args(),
        )


@bp.route("/r/<token>/calendar.ics")
def calendar(token: str) -> ResponseReturnValue:
    """The person's own calendar entry (the same UID as in their emails); only a confirmed
    person holds one."""
    registration = queries.get_registration(token)
    with _person_locale(registration):
        if not registration.holds_place:
            raise Conflict(
                _("Only a registration with a place has a calendar entry."),
                code="not_confirmed",
            )
        body = event_calendar(
            registration.event,
            method="REQUEST",
            uid=registration_uid(registration),
            attendee=(registration.name, registration.email),
            sessions=list(registration.sessions),
            join_url=join_url(registration),
        )
    return download(body, f"{registration.event.slug}.ics", "text/calendar")
