"""Check-in at the door (HTML, organisers of the event): the list with search, the scan result
page door staff see on a phone, and per-session attendance for workshops that keep it.

A ticket's QR code holds `/manage/checkin/<token>` (participants.views.ticket), so the phone's
camera opens it with a GET. That address sends door staff on to the scan page of the door
they work at, `/manage/events/<slug>/checkin/scan/<token>`: the event whose check-in page
they last opened (kept in the session), else the ticket's own event. The scan page checks a
confirmed person of that event in on GET (a second scan keeps the first time) and says
plainly when the ticket is for someone waitlisted, cancelled, of another event, or unknown.
Undo and "check in again" are POSTs (CSRF) that come back to the same page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from core.audit import record_now
from core.db import db
from core.errors import Conflict, NotFound, ServiceError
from core.pages import current_organiser
from events import queries as event_queries
from events.models import Event
from participants import attendance, queries, services
from participants.forms import ConfirmForm
from participants.labels import template_labels
from participants.models import Registration

checkin_bp = Blueprint("participants_checkin", __name__, url_prefix="/manage")
checkin_bp.context_processor(template_labels)

DOOR_KEY = "checkin_door"  # the id of the event whose door the signed-in person works at

# What each result of a scan looks like: the words of its heading, its colour and icon.
RESULTS: dict[str, dict[str, Any]] = {
    "checked_in": {"tone": "ok", "icon": "check", "status": 200},
    "already": {"tone": "warn", "icon": "clock", "status": 200},
    "undone": {"tone": "neutral", "icon": "undo", "status": 200},
    "waitlisted": {"tone": "stop", "icon": "cross", "status": 409},
    "cancelled": {"tone": "stop", "icon": "cross", "status": 409},
    "other_event": {"tone": "stop", "icon": "cross", "status": 409},
    "unknown": {"tone": "stop", "icon": "question", "status": 404},
}


def _event(slug: str) -> Event:
    return event_queries.get_managed_event(current_organiser(), slug)


def _remember_door(event: Event) -> None:
    session[DOOR_KEY] = event.id


def _door_for(registration: Registration | None) -> Event | None:
    """The event whose door this person works at: the one remembered if they still manage
    it, else the ticket's own event."""
    door_id = session.get(DOOR_KEY)
    door = db.session.get(Event, door_id) if isinstance(door_id, int) else None
    if door is not None and event_queries.can_manage(current_organiser(), door):
        return door
    return registration.event if registration is not None else None


def ticket_token(code: str) -> str | None:
    """The token in what a scanner typed or a person pasted: the ticket's check-in address
    (…/checkin/<token>) or the token alone. None when it cannot be one."""
    code = (code or "").strip()
    if "/" in code:
        code = urlsplit(code).path.rstrip("/").rsplit("/", 1)[-1]
    if not code or len(code) > 64 or not all(c.isalnum() or c in "-_" for c in code):
        return None
    return code


def _lang_arg() -> dict[str, str]:
    """A ?lang= of the address, kept through a redirect (only a language we have)."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang in ("sv", "en", "fi") else {}


def _search() -> str:
    return (request.values.get("q") or "").strip()[:100]


# --- the list -------------------------------------------------------------------------------


@checkin_bp.route("/events/<slug>/checkin")
@login_required
def checkin(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    _remember_door(event)
    q = _search()
    filters = queries.RegistrationFilters(status="confirmed", search=q or None)
    page = render_template(
        "participants/checkin.html",
        event=event,
        q=q,
        registrations=queries.list_registrations(event, filters),
        counts=queries.counts(event),
        session_counts=attendance.session_counts(event),
        form=ConfirmForm(),
    )
    record_now(
        "registrations_viewed",
        event_id=event.id,
        subject=f"event:{event.id}",
        detail={"list": "checkin"},
    )
    return page


@checkin_bp.route("/events/<slug>/checkin/<int:registration_id>", methods=["POST"])
@login_required
def mark(slug: str, registration_id: int) -> ResponseReturnValue:
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
    q = _search()
    args = {"q": q} if q else {}
    return redirect(url_for(".checkin", slug=slug, **args) + f"#registration-{registration.id}")


# --- scanning a ticket ----------------------------------------------------------------------


@checkin_bp.route("/checkin/<token>")
@login_required
def ticket(token: str) -> ResponseReturnValue:
    """The address in the ticket's QR code: on to the scan page of the door's event."""
    try:
        registration: Registration | None = queries.get_registration(token)
    except NotFound:
        registration = None
    door = _door_for(registration)
    if door is None:
        return _unknown(None)
    event_queries.require_manage(current_organiser(), door)
    return redirect(url_for(".scan", slug=door.slug, token=token, **_lang_arg()))


@checkin_bp.route("/events/<slug>/checkin/scan")
@login_required
def scan_code(slug: str) -> ResponseReturnValue:
    """The ticket-code field (a handheld scanner types the QR's address and presses Enter)."""
    event = _event(slug)
    code = request.args.get("code") or ""
    if not code.strip():
        flash(_("Scan a ticket or type its code."), "error")
        return redirect(url_for(".checkin", slug=slug))
    token = ticket_token(code)
    if token is None:
        _remember_door(event)
        return _unknown(event)
    return redirect(url_for(".scan", slug=slug, token=token))


def _unknown(door: Event | None) -> ResponseReturnValue:
    return (
        render_template(
            "participants/checkin_scan.html",
            event=door,
            outcome="unknown",
            result=RESULTS["unknown"],
            registration=None,
            form=ConfirmForm(),
        ),
        404,
    )


@checkin_bp.route("/events/<slug>/checkin/scan/<token>")
@login_required
def scan(slug: str, token: str) -> ResponseReturnValue:
    """Scanning checks in (GET: the camera opens the address). With `?after=1`, coming back
    from undo or "check in again", the page shows the state and writes nothing."""
    door = _event(slug)
    _remember_door(door)
    try:
        registration = queries.get_registration(token)
    except NotFound:
        return _unknown(door)
    if request.args.get("after"):
        outcome = _state(door, registration)
    else:
        outcome = attendance.scan(door, registration).outcome
    return _result(door, registration, outcome)


def _state(door: Event, registration: Registration) -> str:
    if registration.event_id != door.id:
        return "other_event"
    if registration.status != "confirmed":
        return registration.status
    return "checked_in" if registration.attended_at else "undone"


def _result(door: Event, registration: Registration, outcome: str) -> ResponseReturnValue:
    own = event_queries.can_manage(current_organiser(), registration.event)
    mine = outcome != "other_event"
    return (
        render_template(
            "participants/checkin_scan.html",
            event=door,
            outcome=outcome,
            result=RESULTS[outcome],
            registration=registration,
            # Another event's person: details only for an organiser of that event too.
            show_person=mine or own,
            other_managed=own and not mine,
            sessions=list(registration.sessions) if mine else [],
            session_times=attendance.session_times(registration) if mine else {},
            form=ConfirmForm(),
        ),
        RESULTS[outcome]["status"],
    )


@checkin_bp.route("/events/<slug>/checkin/scan/<token>", methods=["POST"])
@login_required
def scan_mark(slug: str, token: str) -> ResponseReturnValue:
    """Undo (attended=0) or check in again (attended=1) from the scan page, and back to it."""
    door = _event(slug)
    registration = queries.get_registration(token)
    if registration.event_id != door.id:
        raise NotFound(_l("There is no such registration for this event."))
    if ConfirmForm().validate():
        try:
            services.check_in(registration, request.form.get("attended") == "1")
        except ServiceError as err:
            for message in err.fields.values() or [err.message]:
                flash(str(message), "error")
    return redirect(url_for(".scan", slug=slug, token=token, after=1))


@checkin_bp.route("/events/<slug>/checkin/scan/<token>/sessions/<int:session_id>", methods=["POST"])
@login_required
def scan_session(slug: str, token: str, session_id: int) -> ResponseReturnValue:
    door = _event(slug)
    registration = queries.get_registration(token)
    if registration.event_id != door.id:
        raise NotFound(_l("There is no such registration for this event."))
    _mark_session(registration, attendance.find_session(door, session_id))
    return redirect(url_for(".scan", slug=slug, token=token, after=1))


def _mark_session(registration: Registration, agenda_session: Any) -> None:
    attended = request.form.get("attended") == "1"
    if not ConfirmForm().validate():
        return
    title = agenda_session.title
    try:
        attendance.check_in_session(registration, agenda_session, attended)
    except ServiceError as err:
        flash(str(err.message), "error")
    else:
        if attended:
            flash(
                _("%(name)s is checked in to %(session)s.", name=registration.name, session=title),
                "success",
            )
        else:
            flash(
                _(
                    "Check-in of %(name)s to %(session)s undone.",
                    name=registration.name,
                    session=title,
                ),
                "info",
            )


# --- per-session attendance ------------------------------------------------------------------


@checkin_bp.route("/events/<slug>/checkin/sessions/<int:session_id>")
@login_required
def session_list(slug: str, session_id: int) -> ResponseReturnValue:
    event = _event(slug)
    _remember_door(event)
    agenda_session = attendance.find_session(event, session_id)
    if not agenda_session.track_attendance:
        raise Conflict(_("This session does not keep its own attendance."), code="not_tracked")
    q = _search()
    count = next(
        (c for c in attendance.session_counts(event) if c.session.id == agenda_session.id), None
    )
    page = render_template(
        "participants/checkin_session.html",
        event=event,
        agenda_session=agenda_session,
        q=q,
        attendees=attendance.session_attendees(agenda_session, q),
        count=count,
        form=ConfirmForm(),
    )
    record_now(
        "registrations_viewed",
        event_id=event.id,
        subject=f"session:{agenda_session.id}",
        detail={"list": "checkin_session"},
    )
    return page


@checkin_bp.route(
    "/events/<slug>/checkin/sessions/<int:session_id>/<int:registration_id>", methods=["POST"]
)
@login_required
def session_mark(slug: str, session_id: int, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    agenda_session = attendance.find_session(event, session_id)
    registration = queries.get_event_registration(event, registration_id)
    _mark_session(registration, agenda_session)
    q = _search()
    args = {"q": q} if q else {}
    return redirect(
        url_for(".session_list", slug=slug, session_id=session_id, **args)
        + f"#registration-{registration.id}"
    )
