"""The calendar routes: one event's .ics file and the subscribable feed (built by
events.calendar)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _

from core.db import db
from events.calendar import CONTENT_TYPE, EventLike, event_calendar, feed_calendar, feed_query
from events.calendar_links import calendar_links, offers_calendar
from events.labels import TARGET_GROUP_LABELS
from events.models import LANGUAGES, TARGET_GROUPS
from events.queries import get_public_event

bp = Blueprint("calendar", __name__)


def event_calendar_links(event: EventLike) -> dict[str, str] | None:
    """The event page's "Add to Google Calendar" and "Add to Outlook" (templates/events/detail.html;
    _add_to_calendar.html): our own addresses, which send the visitor on to the calendar's
    form (add_to). Percent-encoding the agenda into both forms' addresses cost the page more
    than the rest of its rendering; now it is done for the one visitor who clicks. None once
    the event has ended or is cancelled."""
    if not offers_calendar(event):
        return None
    return {
        service: url_for("calendar.add_to", slug=event.slug, service=service)
        for service in ("google", "outlook")
    }


@bp.app_context_processor
def _calendar_helpers() -> dict[str, Any]:
    return {"event_calendar_links": event_calendar_links}


@bp.route("/events/<slug>/calendar/<any(google, outlook):service>")
def add_to(slug: str, service: str) -> Response:
    """To Google's or Outlook's form with the event filled in, in the visitor's language."""
    links = calendar_links(get_public_event(slug))
    if links is None:
        abort(404)
    return redirect(links[service], code=303)


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/events/<slug>.ics")
def event_ics(slug: str) -> Response:
    """One event and its agenda; drafts do not exist here (404)."""
    event = get_public_event(slug)
    return _ics_response(event_calendar(event), f"{event.slug}.ics")


@bp.route("/calendar.ics")
def feed() -> Response:
    """The subscribable feed, its titles and descriptions in the language asked (?lang=, else
    Accept-Language, as every page; the event's own text where it has none in that language):
    ?target_group=<code> and ?language=<sv|en|fi> (the language spoken at the event) narrow it;
    unknown values are ignored."""
    target_group = request.args.get("target_group")
    target_group = target_group if target_group in TARGET_GROUPS else None
    language = request.args.get("language")
    language = language if language in LANGUAGES else None
    events = list(db.session.scalars(feed_query(target_group, language)))
    name = current_app.config.get("ORGANISATION_NAME") or "Mötesplats"
    name = _("%(name)s: events", name=name)
    if target_group:
        name = f"{name} – {TARGET_GROUP_LABELS[target_group]}"
    if language:
        name = f"{name} ({language})"
    return _ics_response(feed_calendar(events, name), "calendar.ics")
