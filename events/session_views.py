"""The agenda's pages for organisers: add, change and remove a session of an event, on the
event management blueprint (events/manage_views.py). A change of time or room that emails
people is checked first (events/change_preview.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from core.db import db
from core.errors import NotFound, ServiceError
from core.pages import current_organiser, put_errors
from events import changes, queries, services
from events.change_preview import render_change_preview
from events.forms import TRANSLATION_FIELD_NAMES, ConfirmForm, SessionForm, local_text
from events.manage_blueprint import manage_bp
from events.models import Event, Session

# --- the agenda ------------------------------------------------------------------------------


def _session_dict(session: Session) -> dict[str, Any]:
    """An existing session as the service takes it, unchanged."""
    return {
        "id": session.id,
        "title": session.title,
        "description": session.description,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "room": session.room,
        "capacity": session.capacity,
        "speakers": list(session.speakers or []),
        "track_attendance": session.track_attendance,
    }


def parse_speakers(text: str) -> list[dict[str, str]]:
    """One speaker a line, "Name, Organisation" (the organisation may be left out)."""
    speakers = []
    for line in (text or "").splitlines():
        name, _sep, organisation = line.partition(",")
        if name.strip() or organisation.strip():
            speakers.append({"name": name.strip(), "organisation": organisation.strip()})
    return speakers


def _speakers_text(speakers: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{s['name']}, {s['organisation']}" if s.get("organisation") else s["name"]
        for s in speakers or []
    )


def session_form_data(form: SessionForm, own: str = "sv") -> dict[str, Any]:
    """The form as a session of the agenda the service takes; `own`: the event's language."""
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "translations": form.translations_data(own),
        "starts_at": form.starts_at.data or "",
        "ends_at": form.ends_at.data or "",
        "room": form.room.data or "",
        "capacity": (form.capacity.data or "").strip() or None,
        "speakers": parse_speakers(form.speakers.data),
        "track_attendance": bool(form.track_attendance.data),
    }


def _find_session(event: Event, session_id: int) -> Session:
    session = next((s for s in event.sessions if s.id == session_id), None)
    if session is None:
        raise NotFound(_("There is no such session."))
    return session


def _save_session(event: Event, session: Session | None) -> ResponseReturnValue:
    form = SessionForm()
    if request.method == "GET" and session is not None:
        tz = event.timezone
        form.title.data = session.title
        form.description.data = session.description
        form.fill_translations(session.translations)
        form.starts_at.data = local_text(session.starts_at, tz)
        form.ends_at.data = local_text(session.ends_at, tz)
        form.room.data = session.room
        form.speakers.data = _speakers_text(session.speakers)
        form.capacity.data = "" if session.capacity is None else str(session.capacity)
        form.track_attendance.data = session.track_attendance
    general: list[str] = []
    status = 200
    if request.method == "POST" and request.form.get("back"):
        pass  # "Go back" from the check of a change: the form again with what was written
    elif form.validate_on_submit():
        agenda = [_session_dict(s) for s in event.sessions]
        data = session_form_data(form, event.language)
        if session is None:
            index = len(agenda)
            agenda.append(data)
        else:
            index = next(i for i, s in enumerate(agenda) if s["id"] == session.id)
            agenda[index] = {"id": session.id, **data}
        try:
            if not request.form.get("confirmed"):
                preview = changes.change_preview(event, {"sessions": agenda})
                promotions = changes.promotions_preview(
                    current_organiser(), event, {"sessions": agenda}
                )  # a session with more places moves people off its waiting list
                if preview.notifies or promotions.recipients:
                    # first show who will be emailed, and what
                    return render_change_preview(
                        event, preview, request.path, promotions=promotions
                    )
            services.update_event(current_organiser(), event, {"sessions": agenda})
        except ServiceError as err:
            db.session.rollback()
            prefix = f"sessions[{index}]."
            mine = {k[len(prefix) :]: v for k, v in err.fields.items() if k.startswith(prefix)}
            others = {k: v for k, v in err.fields.items() if not k.startswith(prefix)}
            general = put_errors(form, mine, TRANSLATION_FIELD_NAMES)
            general += [str(v) for v in others.values()]
            if not err.fields:
                general.append(str(err.message))
            status = err.status if err.status != 400 else 422
        else:
            flash(_("The agenda was saved."), "success")
            return redirect(url_for("events_manage.event", slug=event.slug))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "events/manage/session_form.html",
            form=form,
            event=event,
            session=session,
            general_errors=general,
            event_span=(event.starts_at, event.ends_at),
            translation_fieldsets=form.translation_fieldsets(event.language),
        ),
        status,
    )


@manage_bp.route("/events/<slug>/sessions/new", methods=["GET", "POST"])
@login_required
def new_session(slug: str) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    return _save_session(event, None)


@manage_bp.route("/events/<slug>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(slug: str, session_id: int) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    return _save_session(event, _find_session(event, session_id))


@manage_bp.route("/events/<slug>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@login_required
def delete_session(slug: str, session_id: int) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    session = _find_session(event, session_id)
    form = ConfirmForm()
    agenda = [_session_dict(s) for s in event.sessions if s.id != session.id]
    if request.method == "GET":
        preview = changes.change_preview(event, {"sessions": agenda})
        if preview.notifies:  # the question shows who will be emailed, and what
            return render_change_preview(event, preview, request.path, removing=True)
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.update_event(current_organiser(), event, {"sessions": agenda})
        except ServiceError as err:
            db.session.rollback()
            for message in [str(m) for m in err.fields.values()] or [str(err.message)]:
                flash(message, "error")
        else:
            flash(_("The session was removed from the agenda."), "success")
        return redirect(url_for("events_manage.event", slug=event.slug))
    return render_template(
        "events/manage/confirm_delete_session.html", event=event, session=session, form=form
    )
