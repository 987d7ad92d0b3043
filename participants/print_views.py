"""Organisers' printouts (PDF): name badges and the signed attendance list of an event's
confirmed people, built by the worker (participants.printouts) and downloaded when ready.

- /manage/events/<slug>/printouts: the print page, a form (language, whole event or one
  session; a button per kind) and the event's recent printouts.
- /manage/events/<slug>/printouts/<id>: one printout, queued, being built, ready (people,
  when, download) or failed. Without script it has a Refresh link; with script it asks
  …/<id>.json every few seconds and reloads itself when the printout is finished. (A
  <meta http-equiv="refresh"> would do without script, but it is a time limit the user cannot
  stop: axe-core's meta-refresh rule, WCAG 2.2.1, refuses it.)
- /manage/events/<slug>/printouts/<id>.pdf: the ready PDF, as an attachment.

The old links …/badges.pdf and …/attendance-list.pdf (?language=sv|fi|en, ?session=<id>; ?lang=
too, which also switches the organiser's pages) still build the PDF at once for up to
printouts.SMALL_EVENT people, as before; for more they send the organiser to the print page
with those choices made, since a GET must not queue anything.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

try:
    from wtforms import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs
    SelectChoice = None

from core.audit import record_now
from core.errors import ValidationError
from core.pages import csrf_failed, current_organiser, put_errors
from events import queries as event_queries
from events.content import localized
from events.labels import LANGUAGE_LABELS
from events.models import LANGUAGES, Event, local
from participants import printables, printouts
from participants.forms import PrintoutForm
from participants.labels import template_labels
from participants.models import Printout

bp = Blueprint("participants_print", __name__, url_prefix="/manage")
bp.context_processor(template_labels)

POLL_SECONDS = 3


def _kind_labels() -> dict[str, str]:
    return {"badges": _("Name badges"), "attendance_list": _("Attendance list")}


def _status_labels() -> dict[str, str]:
    return {
        "queued": _("Queued"),
        "building": _("Being built"),
        "ready": _("Ready"),
        "failed": _("Failed"),
    }


def _choices(pairs: list[tuple[str, str]]) -> list[Any]:
    return [SelectChoice(v, label) if SelectChoice else (v, label) for v, label in pairs]


def _form(event: Event, formdata: Any = None) -> PrintoutForm:
    form = PrintoutForm() if formdata is None else PrintoutForm(formdata=formdata)
    languages = [event.language, *(lang for lang in LANGUAGES if lang != event.language)]
    form.language.choices = _choices([(lang, str(LANGUAGE_LABELS[lang])) for lang in languages])
    form.session.choices = _choices(
        [("", _("Everyone confirmed for the event"))]
        + [
            (str(s.id), _("Those confirmed for %(session)s", session=localized(s, "title")[0]))
            for s in sorted(event.sessions, key=lambda s: (s.starts_at, s.id))
        ]
    )
    if not form.language.data:
        form.language.data = event.language
    return form


def _page(
    event: Event, form: PrintoutForm, status: int = 200, general: list[str] | None = None
) -> ResponseReturnValue:
    return (
        render_template(
            "participants/printouts.html",
            event=event,
            form=form,
            made=printouts.recent_printouts(event),
            general_errors=general or [],
            kind_labels=_kind_labels(),
            status_labels=_status_labels(),
            sessions={s.id: localized(s, "title")[0] for s in event.sessions},
            keep_days=printouts.KEEP_FOR.days,
        ),
        status,
    )


@bp.get("/events/<slug>/printouts")
@login_required
def print_page(slug: str) -> ResponseReturnValue:
    event = event_queries.get_managed_event(current_organiser(), slug)
    return _page(event, _form(event, request.args))


@bp.post("/events/<slug>/printouts")
@login_required
def make(slug: str) -> ResponseReturnValue:
    organiser = current_organiser()
    event = event_queries.get_managed_event(organiser, slug)
    form = _form(event)
    if not form.validate():
        return _page(event, form, 400, csrf_failed(form))
    try:
        kind = printouts.parse_kind(request.form.get("kind"))
        session = printables.chosen_session(event, form.session.data)
        made = printouts.request_printout(event, kind, form.language.data, session, organiser)
    except ValidationError as err:
        return _page(event, form, 400, put_errors(form, err.fields, {"lang": "language"}))
    return redirect(url_for(".status", slug=slug, printout_id=made.id), 303)


def _filename(event: Event, printout: Printout) -> str:
    kind = "badges" if printout.kind == "badges" else "attendance-list"
    parts = [event.slug, kind, printout.language]
    if printout.session_id:
        parts.append(f"session-{printout.session_id}")
    if printout.finished_at:
        parts.append(f"{local(printout.finished_at, event):%Y-%m-%d-%H%M}")
    return "-".join(parts) + ".pdf"


@bp.get("/events/<slug>/printouts/<int:printout_id>")
@login_required
def status(slug: str, printout_id: int) -> ResponseReturnValue:
    organiser = current_organiser()
    event = event_queries.get_managed_event(organiser, slug)
    printout = printouts.event_printout(organiser, event, printout_id)
    session = next((s for s in event.sessions if s.id == printout.session_id), None)
    return render_template(
        "participants/printout.html",
        event=event,
        printout=printout,
        session_title=localized(session, "title")[0] if session else None,
        kind_labels=_kind_labels(),
        status_labels=_status_labels(),
        filename=_filename(event, printout),
        deleted_on=printouts.deleted_on(printout),
        poll_seconds=POLL_SECONDS,
    )


@bp.get("/events/<slug>/printouts/<int:printout_id>.json")
@login_required
def status_json(slug: str, printout_id: int) -> ResponseReturnValue:
    organiser = current_organiser()
    event = event_queries.get_managed_event(organiser, slug)
    printout = printouts.event_printout(organiser, event, printout_id)
    body = {"id": printout.id, "status": printout.status, "people": printout.people}
    return body, 200, {"Cache-Control": "no-store"}


@bp.get("/events/<slug>/printouts/<int:printout_id>.pdf")
@login_required
def download(slug: str, printout_id: int) -> ResponseReturnValue:
    organiser = current_organiser()
    event = event_queries.get_managed_event(organiser, slug)
    printout = printouts.printout_pdf(organiser, event, printout_id)
    record_now(
        "registrations_exported",
        event_id=event.id,
        subject=f"printout:{printout.id}",
        detail={"format": f"{printout.kind}_pdf", "people": printout.people},
    )
    response = send_file(
        io.BytesIO(printout.content or b""),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=_filename(event, printout),
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept by a proxy
    return response


# --- the old links: at once for a small event ---------------------------------------------------


def _at_once(slug: str, kind: str) -> ResponseReturnValue:
    event: Event = event_queries.get_managed_event(current_organiser(), slug)
    asked = request.args.get("language") or request.args.get("lang")
    language = printables.print_language(event, asked)
    session = printables.chosen_session(event, request.args.get("session"))
    if printouts.people_count(event, session) > printouts.SMALL_EVENT:
        flash(
            _("This printout lists more than %(n)s people, so it is made in the background: "
              "make it here and it is ready in a minute or two.", n=printouts.SMALL_EVENT),
            "info",
        )  # fmt: skip
        args = {"language": language, **({"session": session.id} if session else {})}
        return redirect(url_for(".print_page", slug=slug, **args))
    sheet = printables.printout(event, language, session, badges=kind == "badges")
    body = printables.render_pdf(printouts.TEMPLATES[kind], sheet)
    record_now(
        "registrations_exported",
        event_id=event.id,
        subject=f"event:{event.id}",
        detail={"format": f"{kind}_pdf", "session": session.id if session else None},
    )
    name = "badges" if kind == "badges" else "attendance-list"
    return (
        body,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{slug}-{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/events/<slug>/badges.pdf")
@login_required
def badges(slug: str) -> ResponseReturnValue:
    return _at_once(slug, "badges")


@bp.route("/events/<slug>/attendance-list.pdf")
@login_required
def attendance_list(slug: str) -> ResponseReturnValue:
    return _at_once(slug, "attendance_list")
