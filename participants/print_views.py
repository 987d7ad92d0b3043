"""Organisers' printouts (PDF): name badges and the signed attendance list of an event's
confirmed people. The rows come from participants.printables; these views only render.

The language is the event's own unless the organiser asks for another with ?language=sv|fi|en
(?lang= is read too, but it also switches the organiser's own pages to that language);
?session=<id> prints the people of one session.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from core.pages import current_organiser
from events import queries as event_queries
from events.models import Event
from participants import printables

bp = Blueprint("participants_print", __name__, url_prefix="/manage")


def _sheet(slug: str, *, badges: bool) -> printables.Printout:
    event: Event = event_queries.get_managed_event(current_organiser(), slug)
    language = printables.print_language(
        event, request.args.get("language") or request.args.get("lang")
    )
    session = printables.chosen_session(event, request.args.get("session"))
    return printables.printout(event, language, session, badges=badges)


def _pdf(body: bytes, filename: str) -> ResponseReturnValue:
    return (
        body,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/events/<slug>/badges.pdf")
@login_required
def badges(slug: str) -> ResponseReturnValue:
    sheet = _sheet(slug, badges=True)
    return _pdf(printables.render_pdf("badges.html", sheet), f"{slug}-badges.pdf")


@bp.route("/events/<slug>/attendance-list.pdf")
@login_required
def attendance_list(slug: str) -> ResponseReturnValue:
    sheet = _sheet(slug, badges=False)
    return _pdf(printables.render_pdf("attendance_list.html", sheet), f"{slug}-attendance-list.pdf")
