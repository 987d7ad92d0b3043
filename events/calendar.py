"""Calendar files (iCalendar): one event, the subscribable feed, and registrants' invitations.

Times are written in the event's own zone (``DTSTART;TZID=Europe/Helsinki:...``) with a
VTIMEZONE block for that zone, so a calendar shows the right local time on either side of a
daylight-saving change. UIDs are stable (``event-<id>@<host>``, ``session-<id>@<host>``), and
SEQUENCE is ``Event.sequence``, which the services raise whenever time, place or status
changes, so calendar programs replace their copy instead of adding a second one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.urls import external_url
from events.content import localized
from events.facts import EventFacts, SessionFacts
from events.models import Event, EventTargetGroup, Session, local

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Motesplats//Events//EN"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")

# The builders read attributes only, so they take the models (the public files) or the facts
# an outbox row keeps (events.facts; the worker builds an invitation from those).
EventLike = Event | EventFacts
SessionLike = Session | SessionFacts


# --- building blocks -------------------------------------------------------------------------


def calendar_host() -> str:
    """The host part of our UIDs: PUBLIC_BASE_URL's, else the request's (stable per site)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        host = urlsplit(base).hostname
        if host:
            return host
    if has_request_context():
        return request.host.split(":")[0]
    return "motesplats.invalid"


def event_uid(event: EventLike) -> str:
    return f"event-{event.id}@{calendar_host()}"


def session_uid(session: SessionLike) -> str:
    return f"session-{session.id}@{calendar_host()}"


def event_page_url(event: EventLike) -> str:
    return external_url("events.detail", slug=event.slug)


def _venue_text(event: EventLike) -> str:
    parts = [event.venue_name, event.venue_address, event.venue_city, event.venue_country]
    return ", ".join(p for p in parts if p)


def event_location(event: EventLike) -> str:
    """The LOCATION line: the venue, "Online", or the venue and "online" for a hybrid event."""
    if event.format == "online" or not event.has_venue:
        return _("Online")
    venue = _venue_text(event)
    if event.format == "hybrid":
        return _("%(venue)s, and online", venue=venue) if venue else _("Online")
    return venue


def _text(item: EventLike | SessionLike, field: str) -> str:
    """The title or description in the page's language (?lang=, Accept-Language) where the
    event has it, else its own; a snapshot (events.facts) already holds the reader's."""
    return localized(item, field).text


def _zone_aware(moment: datetime, event: EventLike) -> datetime:
    # zoneinfo-aware values make icalendar write TZID=<the event's zone> and its VTIMEZONE.
    return local(moment, event)


def _speakers_text(session: SessionLike) -> str:
    names = []
    for speaker in session.speakers or []:
        name = speaker.get("name", "")
        if speaker.get("organisation"):
            name = f"{name} ({speaker['organisation']})"
        names.append(name)
    return ", ".join(names)


def _status(event: EventLike, method: str) -> str:
    if method == "CANCEL" or event.status == "cancelled":
        return "CANCELLED"
    return "CONFIRMED"


def _base_vevent(event: EventLike, *, uid: str, sequence: int, status: str, stamp: datetime):
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", sequence)
    vevent.add("status", status)
    vevent.add("url", event_page_url(event))
    if event.created_at:
        vevent.add("created", event.created_at)
    if event.updated_at:
        vevent.add("last-modified", event.updated_at)
    return vevent


def _event_vevent(
    event: EventLike,
    *,
    uid: str,
    sequence: int,
    status: str,
    stamp: datetime,
    extra_description: str = "",
):
    vevent = _base_vevent(event, uid=uid, sequence=sequence, status=status, stamp=stamp)
    title = _text(event, "title")
    summary = title
    if status == "CANCELLED":
        summary = _("Cancelled: %(title)s", title=title)
    vevent.add("summary", summary)
    vevent.add("dtstart", _zone_aware(event.starts_at, event))
    vevent.add("dtend", _zone_aware(event.ends_at, event))
    vevent.add("location", event_location(event))
    description = "\n\n".join(
        part
        for part in (_text(event, "description").strip(), extra_description, event_page_url(event))
        if part
    )
    vevent.add("description", description)
    vevent.add("categories", [event.kind, *event.target_group_codes])
    return vevent


def _session_vevent(event: EventLike, session: SessionLike, *, sequence: int, status: str, stamp):
    vevent = _base_vevent(
        event, uid=session_uid(session), sequence=sequence, status=status, stamp=stamp
    )
    summary = f"{_text(session, 'title')} – {_text(event, 'title')}"
    if status == "CANCELLED":
        summary = _("Cancelled: %(title)s", title=summary)
    vevent.add("summary", summary)
    vevent.add("dtstart", _zone_aware(session.starts_at, event))
    vevent.add("dtend", _zone_aware(session.ends_at, event))
    location = event_location(event)
    if session.room:
        location = f"{session.room}, {location}"
    vevent.add("location", location)
    speakers = _speakers_text(session)
    lines = [_text(session, "description").strip()]
    if speakers:
        lines.append(_("Speakers: %(names)s", names=speakers))
    lines.append(event_page_url(event))
    vevent.add("description", "\n\n".join(line for line in lines if line))
    vevent.add("related-to", event_uid(event))
    return vevent


def _new_calendar(method: str | None, name: str | None = None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _finish(cal: icalendar.Calendar, events: Sequence[EventLike]) -> bytes:
    """Add a VTIMEZONE for each zone used, written so that every parser reads it right.

    The zone's transitions cover 2000 to 2040 (wider when an event lies outside), so that
    every file we serve carries the same VTIMEZONE for a zone: some readers (vobject,
    and so Radicale) keep the first definition of a TZID they meet and reuse it."""
    if not events:
        return cal.to_ical()
    first = max(1900, min(2000, min(e.starts_at for e in events).year - 1))
    last = min(2300, max(2040, max(e.ends_at for e in events).year + 2))
    zones = b"".join(_vtimezone(tzid, first, last) for tzid in sorted(cal.get_missing_tzids()))
    # VTIMEZONE blocks go before the first component that uses them.
    head, sep, rest = cal.to_ical().partition(b"BEGIN:VEVENT")
    return head + zones + sep + rest


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str, first: int, last: int) -> bytes:
    """A zone's VTIMEZONE, serialised once: building its transitions costs milliseconds."""
    timezone = icalendar.Timezone.from_tzid(
        tzid, first_date=date(first, 1, 1), last_date=date(last, 1, 1)
    )
    for part in timezone.subcomponents:
        _one_rdate_per_line(part)
    return timezone.to_ical()


def _one_rdate_per_line(component: icalendar.cal.component.Component) -> None:
    """icalendar writes all of a zone's transitions on one RDATE line; vobject 0.9 keeps only
    the first of them and then reads the zone with the wrong offset. One date per line is the
    same data and every parser reads it."""
    rdates = component.get("RDATE")
    if rdates is None:
        return
    values = rdates if isinstance(rdates, list) else [rdates]
    moments = [d.dt for value in values for d in value.dts]
    del component["RDATE"]
    for moment in moments:
        component.add("rdate", moment)


# --- the public builder ----------------------------------------------------------------------


def event_calendar(
    event: EventLike,
    *,
    method: str = "PUBLISH",
    uid: str | None = None,
    attendee: tuple[str, str] | None = None,
    sessions: Iterable[SessionLike] | None = None,
) -> bytes:
    """One event as an iCalendar file (bytes, UTF-8), for downloads and email attachments.

    - ``method="PUBLISH"`` (the default): the event's VEVENT (UID ``event-<id>@<host>``) and
      one VEVENT per session (UID ``session-<id>@<host>``). ``sessions`` picks which sessions;
      None means all of the event's sessions.
    - ``method="REQUEST"``: an invitation, e.g. a registration confirmation. Pass
      ``uid`` (one of its own per registration, e.g. ``f"registration-{r.id}@{calendar_host()}"``,
      so that a later CANCEL with the same UID removes exactly that entry) and
      ``attendee=(name, email)``; the file gets ORGANIZER (MAIL_DEFAULT_SENDER) and ATTENDEE
      lines. iTIP allows one UID per scheduling message, so there is a single VEVENT for the
      whole event; the chosen ``sessions`` (None: none) are listed in its DESCRIPTION.
    - ``method="CANCEL"``: the same single VEVENT with STATUS:CANCELLED. Use the UID of the
      REQUEST it withdraws (a cancelled registration), or leave ``uid`` None for the event's
      own UID (a cancelled event).

    SEQUENCE is ``event.sequence`` (it rises with every change of time, place or status). A
    CANCEL for an event that itself is not cancelled (a registration withdrawn) carries
    ``event.sequence + 1``, so calendar programs take it as newer than the invitation.
    STATUS is CANCELLED when the event is cancelled or the method is CANCEL, else CONFIRMED.
    ``event`` and ``sessions`` are the models or their facts (events.facts), as an outbox
    row keeps them: the worker builds the same file, with the SEQUENCE taken when the message
    was queued. Call it inside an application context (it builds absolute links from
    PUBLIC_BASE_URL).
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    stamp = utcnow().replace(microsecond=0)
    status = _status(event, method)
    sequence = event.sequence or 0
    cal = _new_calendar(method, _text(event, "title"))

    if method == "PUBLISH":
        if uid is not None or attendee is not None:
            raise ValueError("uid and attendee belong to REQUEST and CANCEL")
        cal.add_component(
            _event_vevent(
                event, uid=event_uid(event), sequence=sequence, status=status, stamp=stamp
            )
        )
        chosen = event.sessions if sessions is None else list(sessions)
        for session in chosen:
            cal.add_component(
                _session_vevent(event, session, sequence=sequence, status=status, stamp=stamp)
            )
        return _finish(cal, [event])

    if method == "CANCEL" and event.status != "cancelled":
        sequence += 1
    agenda = ""
    chosen = [] if sessions is None else list(sessions)
    if chosen:
        tz_lines = [
            f"{_zone_aware(s.starts_at, event):%Y-%m-%d %H:%M}–"
            f"{_zone_aware(s.ends_at, event):%H:%M} {_text(s, 'title')}"
            + (f" ({s.room})" if s.room else "")
            for s in chosen
        ]
        agenda = _("Your sessions:") + "\n" + "\n".join(tz_lines)
    vevent = _event_vevent(
        event,
        uid=uid or event_uid(event),
        sequence=sequence,
        status=status,
        stamp=stamp,
        extra_description=agenda,
    )
    sender_name, sender_email = _sender()
    organizer = icalendar.vCalAddress(f"mailto:{sender_email}")
    organizer.params["CN"] = sender_name
    vevent.add("organizer", organizer)
    if attendee is not None:
        name, email = attendee
        who = icalendar.vCalAddress(f"mailto:{email}")
        who.params["CN"] = name
        who.params["ROLE"] = "REQ-PARTICIPANT"
        who.params["PARTSTAT"] = "DECLINED" if method == "CANCEL" else "ACCEPTED"
        who.params["RSVP"] = "FALSE"
        vevent.add("attendee", who)
    cal.add_component(vevent)
    return _finish(cal, [event])


def _sender() -> tuple[str, str]:
    """MAIL_DEFAULT_SENDER as (name, email); it may be "Name <email>", a tuple or an address."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@motesplats.invalid"
    if isinstance(sender, list | tuple):
        return str(sender[0]), str(sender[1])
    if "<" in sender and sender.endswith(">"):
        name, _sep, email = sender[:-1].partition("<")
        return name.strip().strip('"'), email.strip()
    return current_app.config.get("ORGANISATION_NAME", ""), sender.strip()


def feed_calendar(events: Sequence[Event], name: str) -> bytes:
    """Many events (and their sessions) in one PUBLISH calendar; the events must have their
    sessions loaded (selectinload) so that this makes no queries of its own."""
    stamp = utcnow().replace(microsecond=0)
    cal = _new_calendar("PUBLISH", name)
    cal.add("x-wr-timezone", current_app.config.get("DEFAULT_TIMEZONE", "Europe/Stockholm"))
    for event in events:
        status = _status(event, "PUBLISH")
        cal.add_component(
            _event_vevent(
                event, uid=event_uid(event), sequence=event.sequence, status=status, stamp=stamp
            )
        )
        for session in event.sessions:
            cal.add_component(
                _session_vevent(event, session, sequence=event.sequence, status=status, stamp=stamp)
            )
    return _finish(cal, events)


def feed_query(target_group: str | None = None, language: str | None = None) -> sa.Select:
    """Every published and cancelled event, past and upcoming, with what the feed needs loaded
    in two extra queries whatever the number of events."""
    query = (
        sa.select(Event)
        .where(Event.status != "draft")
        .order_by(Event.starts_at, Event.id)
        .options(selectinload(Event.sessions), selectinload(Event.target_groups))
    )
    if target_group:
        query = query.where(Event.target_groups.any(EventTargetGroup.code == target_group))
    if language:
        query = query.where(Event.language == language)
    return query
