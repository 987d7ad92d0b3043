"""Registration pages for participants, and organisers' registration management (HTML).

Views are thin: they turn the form into the same dict the JSON API takes, call
participants.services, and put the service's field messages back next to the fields.

Language of a person's own pages (/r/<token>/…): the language they chose when registering
(`Registration.language`), whatever the browser or an earlier visit chose, so a link opened
from an email reads as the email did. `?lang=` in the address overrides it, and the pages keep
that `lang` in their own links and forms.

Check-in from the ticket's QR code: scanning opens `/manage/checkin/<token>` with a GET, so
that page marks the person attended on GET (for a signed-in organiser of the event; marking
twice keeps the first time) and offers an Undo button, which is a POST.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
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
from flask_login import login_required

from core.errors import Conflict, ServiceError, ValidationError
from core.extensions import limiter, public_limit
from core.filters import filters_with_notices
from core.i18n import current_language
from core.pages import current_organiser, put_errors
from core.spreadsheets import parse_separator
from core.urls import external_url
from events import services as event_services
from events.calendar import event_calendar
from events.models import LANGUAGES, Event, local
from participants import exports, messaging, queries, seats, services
from participants.emails import join_url, registration_uid
from participants.forms import (
    ATTENDED_LABELS,
    COUNTRY_LABELS,
    STATUS_LABELS,
    AddPersonForm,
    ConfirmForm,
    MessageForm,
    RegistrationForm,
    SessionsForm,
)
from participants.models import REGISTRATION_STATUSES, Registration

bp = Blueprint("participants", __name__)
manage_bp = Blueprint("participants_manage", __name__, url_prefix="/manage")


def _labels() -> dict[str, Any]:
    return {
        "TARGET_GROUP_LABELS": event_services.TARGET_GROUP_LABELS,
        "LANGUAGE_LABELS": event_services.LANGUAGE_LABELS,
        "FORMAT_LABELS": event_services.FORMAT_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "COUNTRY_LABELS": COUNTRY_LABELS,
        "ATTENDED_LABELS": ATTENDED_LABELS,
        "FULL_MESSAGES": seats.FULL_MESSAGES,
        "event_local": local,
    }


bp.context_processor(_labels)
manage_bp.context_processor(_labels)


def registration_info(event: Event) -> dict[str, Any]:
    """What the event page shows about registering (templates/participants/
    _event_registration.html): the state and why it is closed, seats left, the waiting list."""
    return {
        **services.registration_summary(event),
        "register_url": url_for("participants.register", slug=event.slug),
    }


@bp.app_context_processor
def _registration_helpers() -> dict[str, Any]:
    return {"registration_info": registration_info}


def _csrf_failed(form: Any) -> list[str]:
    return [_("The form has expired. Please send it again.")] if "csrf_token" in form.errors else []


# --- registering -------------------------------------------------------------------------------


def _register_page(
    event: Event,
    form: RegistrationForm,
    status: int = 200,
    general: list[str] | None = None,
    closed_message: Any = None,
) -> ResponseReturnValue:
    state = services.registration_state(event)
    return (
        render_template(
            "participants/register.html",
            event=event,
            form=form,
            state=state,
            closed_message=closed_message
            or (services.STATE_MESSAGES.get(state) if state != "open" else None),
            places_left=seats.session_places_left(event),
            chosen={str(v) for v in form.sessions.data or []},
            general_errors=general or [],
        ),
        status,
    )


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def register(slug: str) -> ResponseReturnValue:
    event = event_services.get_public_event(slug)
    form = RegistrationForm()
    form.set_target_groups(event.target_group_codes)
    if request.method == "GET":
        language = current_language()
        form.language.data = language if language in LANGUAGES else event.language
        if len(event.target_group_codes) == 1:
            form.target_group.data = event.target_group_codes[0]
    if services.registration_state(event) != "open":
        return _register_page(event, form, 409 if request.method == "POST" else 200)
    if request.method == "GET":
        return _register_page(event, form)
    if not form.validate():  # only the CSRF token is checked here
        return _register_page(event, form, 400, _csrf_failed(form))
    try:
        registration = services.register(event, form.as_service_data())
    except services.AlreadyRegistered as err:
        return _register_page(event, form, 409, [str(err.message)])
    except (services.RegistrationClosed, services.EventCancelled) as err:
        return _register_page(event, form, 409, closed_message=err.message)
    except ValidationError as err:
        return _register_page(event, form, 422, put_errors(form, err.fields))
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
            form=form,
            chosen={str(v) for v in form.sessions.data or []},
            places_left=seats.session_places_left(event),
            general_errors=general or [],
            lang_args=_lang_args(),
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
            return _manage_page(registration, form, 400, _csrf_failed(form))
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
            general_errors=_csrf_failed(form) if request.method == "POST" else [],
            lang_args=_lang_args(),
        )


@bp.route("/r/<token>/ticket")
def ticket(token: str) -> ResponseReturnValue:
    """The QR code for the door; a waitlisted or cancelled person gets a page saying why
    there is none (Registration.holds_place)."""
    registration = queries.get_registration(token)
    qr_data_uri = checkin_url = None
    if registration.holds_place:
        checkin_url = external_url("participants_manage.checkin_token", token=token)
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
        )
    return _download(body, f"{registration.event.slug}.ics", "text/calendar")


# --- organisers ----------------------------------------------------------------------------------


def _event(slug: str) -> Event:
    return event_services.get_managed_event(current_organiser(), slug)


def _filter_args() -> dict[str, str]:
    """The list filters of the address that are kept in links: known names, valid values."""
    args = {k: request.args[k] for k in queries.FILTER_KEYS if request.args.get(k)}
    try:
        queries.RegistrationFilters.parse(args)
    except ValidationError as err:
        args = {k: v for k, v in args.items() if k not in err.fields}
    return args


def _list_filters() -> queries.RegistrationFilters:
    """The list's filters, validated by the same function as the API's; an unknown value is
    not applied and the page says so (core.filters)."""
    filters, notices = filters_with_notices(queries.RegistrationFilters.parse, request.args)
    for notice in notices:
        flash(notice, "error")
    return filters


def _export_filters() -> queries.RegistrationFilters:
    """An export's filters: an unknown value is refused (422), never widened to everyone, so
    a file never holds more people than the organiser asked for."""
    try:
        return queries.RegistrationFilters.parse(request.args)
    except ValidationError as err:
        raise ValidationError(
            err.fields,
            _(
                "A filter has an unknown value, so nothing was exported: %(why)s",
                why=" ".join(str(m) for m in err.fields.values()),
            ),
        ) from None


def _download(body: str | bytes, filename: str, mimetype: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@manage_bp.route("/events/<slug>/registrations")
@login_required
def registrations(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    filters = _list_filters()
    return render_template(
        "participants/manage_registrations.html",
        event=event,
        registrations=queries.list_registrations(event, filters),
        filters=filters,
        filter_args=_filter_args(),
        counts=queries.counts(event),
        positions=seats.waitlist_positions(event),
        seats_left=seats.seats_left(event),
        statuses=REGISTRATION_STATUSES,
        form=ConfirmForm(),
    )


@manage_bp.route("/events/<slug>/registrations/<int:registration_id>/confirm", methods=["POST"])
@login_required
def confirm(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    registration = queries.get_event_registration(event, registration_id)
    if ConfirmForm().validate():
        try:
            services.confirm_from_waitlist(registration)
        except ServiceError as err:
            flash(str(err.message), "error")
        else:
            flash(_("%(name)s now has a place.", name=registration.name), "success")
    return redirect(url_for(".registrations", slug=slug, **_filter_args()))


@manage_bp.route(
    "/events/<slug>/registrations/<int:registration_id>/cancel", methods=["GET", "POST"]
)
@login_required
def cancel_for(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    registration = queries.get_event_registration(event, registration_id)
    form = ConfirmForm()
    if request.method == "POST" and registration.status != "cancelled" and form.validate():
        services.cancel(registration, by_organiser=True)
        flash(_("The registration of %(name)s is cancelled.", name=registration.name), "success")
        return redirect(url_for(".registrations", slug=slug, **_filter_args()))
    return render_template(
        "participants/manage_cancel.html",
        event=event,
        registration=registration,
        form=form,
        filter_args=_filter_args(),
    )


@manage_bp.route("/events/<slug>/registrations/new", methods=["GET", "POST"])
@login_required
def add(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    form = AddPersonForm()
    status = 200
    general: list[str] = []
    if request.method == "GET":
        form.language.data = event.language
    elif not form.validate():
        status, general = 400, _csrf_failed(form)
    else:
        try:
            registration = services.register(event, form.as_service_data(), by_organiser=True)
        except ValidationError as err:
            status, general = 422, put_errors(form, err.fields)
        except ServiceError as err:
            status, general = err.status, [str(err.message)]
        else:
            if registration.status == "confirmed":
                flash(_("%(name)s is registered.", name=registration.name), "success")
            else:
                flash(
                    _(
                        "%(name)s is on the waiting list: %(why)s",
                        name=registration.name,
                        why=seats.FULL_MESSAGES.get(registration.full_reason or "", ""),
                    ),
                    "info",
                )
            return redirect(url_for(".registrations", slug=slug))
    return (
        render_template(
            "participants/manage_add.html",
            event=event,
            form=form,
            places_left=seats.session_places_left(event),
            chosen={str(v) for v in form.sessions.data or []},
            general_errors=general,
        ),
        status,
    )


@manage_bp.route("/events/<slug>/checkin")
@login_required
def checkin(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    q = (request.args.get("q") or "").strip()[:100]
    filters = queries.RegistrationFilters(status="confirmed", search=q or None)
    return render_template(
        "participants/checkin.html",
        event=event,
        q=q,
        registrations=queries.list_registrations(event, filters),
        counts=queries.counts(event),
        form=ConfirmForm(),
    )


@manage_bp.route("/events/<slug>/checkin/<int:registration_id>", methods=["POST"])
@login_required
def checkin_mark(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    registration = queries.get_event_registration(event, registration_id)
    attended = request.form.get("attended") == "1"
    if ConfirmForm().validate():
        try:
            services.check_in(registration, attended)
        except ServiceError as err:
            for message in err.fields.values() or [err.message]:
                flash(str(message), "error")
        else:
            if attended:
                flash(_("%(name)s is checked in.", name=registration.name), "success")
            else:
                flash(_("Check-in of %(name)s undone.", name=registration.name), "info")
    if request.form.get("back") == "token":
        return redirect(url_for(".checkin_token", token=registration.token, undone=1))
    q = (request.form.get("q") or "").strip()
    args = {"q": q} if q else {}
    return redirect(url_for(".checkin", slug=slug, **args) + f"#registration-{registration.id}")


@manage_bp.route("/checkin/<token>")
@login_required
def checkin_token(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    event_services.require_manage(current_organiser(), registration.event)
    status = 200
    already = registration.attended_at is not None
    undone = bool(request.args.get("undone"))
    if registration.status != "confirmed":
        status = 409
    elif not undone:
        services.check_in(registration, True)
    return (
        render_template(
            "participants/checkin_token.html",
            registration=registration,
            event=registration.event,
            already=already,
            undone=undone,
            form=ConfirmForm(),
        ),
        status,
    )


@manage_bp.route("/events/<slug>/registrations.csv")
@login_required
def export_csv(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    filters = _export_filters()
    sep = parse_separator(request.args.get("sep"))
    return _download(
        exports.registrations_csv(event, filters, sep),
        f"{event.slug}-registrations.csv",
        "text/csv",
    )


@manage_bp.route("/events/<slug>/registrations.xlsx")
@login_required
def export_xlsx(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    filters = _export_filters()
    return _download(
        exports.registrations_xlsx(event, filters),
        f"{event.slug}-registrations.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@manage_bp.route("/events/<slug>/catering")
@login_required
def catering(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    return render_template(
        "participants/catering.html", event=event, summary=queries.needs_summary(event)
    )


@manage_bp.route("/events/<slug>/catering.csv")
@login_required
def catering_csv(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    sep = parse_separator(request.args.get("sep"))
    return _download(exports.catering_csv(event, sep), f"{event.slug}-catering.csv", "text/csv")


@manage_bp.route("/events/<slug>/message", methods=["GET", "POST"])
@login_required
def message(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    form = MessageForm()
    status = 200
    general: list[str] = []
    if request.method == "POST":
        if not form.validate():
            status, general = 400, _csrf_failed(form)
        else:
            try:
                # An unknown choice is refused next to its field: never a wider audience.
                filters = queries.RegistrationFilters.parse(
                    {
                        "status": form.status.data,
                        "target_group": form.target_group.data,
                        "attended": form.attended.data,
                    }
                )
                sent = messaging.message_registrants(
                    event, filters, form.subject.data or "", form.body.data or ""
                )
            except ValidationError as err:
                status, general = 422, put_errors(form, err.fields)
            else:
                flash(
                    ngettext(
                        "The message is queued for %(num)s person.",
                        "The message is queued for %(num)s people.",
                        sent,
                    )
                    if sent
                    else _("No one matches the choice, so no message was sent."),
                    "success" if sent else "info",
                )
                return redirect(url_for(".registrations", slug=slug))
    return (
        render_template(
            "participants/message.html", event=event, form=form, general_errors=general
        ),
        status,
    )
