"""Calendar files (iCalendar): one event, the subscribable feed, and registrants' invitations.

Times are written in the event's own zone (``DTSTART;TZID=Europe/Helsinki:...``) with a
VTIMEZONE block for that zone, so a calendar shows the right local time on either side of a
daylight-saving change. UIDs are stable (``event-<id>@<host>``; a registrant's own entry has
its own, see participants.emails), and SEQUENCE is ``Event.sequence``, which the services
raise whenever time, place or status changes, so calendar programs replace their copy instead
of adding a second one.

What an entry holds:
- One VEVENT per event, never one per session (a conference with parallel workshops used to
  fill a calendar with ten overlapping entries). The public file lists the agenda in the
  description; a registrant's own entry lists only the sessions they chose.
- An event over several days is a daily series (RRULE:FREQ=DAILY;COUNT=n) with each day's
  hours, so every day shows as a block at its hours, and one UID still covers the whole
  event, as an invitation and its CANCEL need (iTIP: one UID per message). One entry from the
  first morning to the last afternoon would show as a bar over the nights, hiding the hours.
- The description is plain text in the reader's language: the Markdown rendered to text,
  the target groups by their translated names, the sessions, the page's address; the online
  join link only in a confirmed person's entry.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.text import markdown_text
from core.urls import external_url
from events.content import localized
from events.facts import EventFacts, SessionFacts
from events.labels import KIND_LABELS, TARGET_GROUP_LABELS
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


def _status(event: EventLike, method: str) -> str:
    if method == "CANCEL" or event.status == "cancelled":
        return "CANCELLED"
    return "CONFIRMED"


# --- days: an event over several days is a daily series --------------------------------------

# An event that ends before this hour on the day after it starts is one evening that runs past
# midnight, not two days.
_NIGHT_ENDS = time(6, 0)


def event_days(event: EventLike) -> list[tuple[datetime, datetime]]:
    """The event's days as (start, end) on its own clock: one pair for a one-day event; for an
    event over several days one pair per day, each from the start's clock time to the end's
    (a conference from 20 May 9.00 to 21 May 16.00 is 9.00–16.00 on each day).

    When the end's clock time is not after the start's (13.00 one day to 12.00 the next) the
    days have no common hours, and the event stays one span."""
    start, end = _zone_aware(event.starts_at, event), _zone_aware(event.ends_at, event)
    dates = (end.date() - start.date()).days
    if dates == 0 or (dates == 1 and end.time() <= _NIGHT_ENDS) or end.time() <= start.time():
        return [(start, end)]
    zone = start.tzinfo
    days = []
    for n in range(dates + 1):
        day = start.date() + timedelta(days=n)
        days.append(
            (datetime.combine(day, start.time(), zone), datetime.combine(day, end.time(), zone))
        )
    return days


def _days_text(days: Sequence[tuple[datetime, datetime]]) -> str:
    """ "2 days, 09:00–16:00 each day: 2026-05-20, 2026-05-21" for a multi-day event."""
    first_start, first_end = days[0]
    return _(
        "%(num)s days, %(start)s–%(end)s each day: %(dates)s",
        num=len(days),
        start=f"{first_start:%H:%M}",
        end=f"{first_end:%H:%M}",
        dates=", ".join(f"{start:%Y-%m-%d}" for start, _end in days),
    )


# --- what the entry says: plain text, in the current language --------------------------------


def _speakers_text(session: SessionLike) -> str:
    names = []
    for speaker in session.speakers or []:
        name = speaker.get("name", "")
        if speaker.get("organisation"):
            name = f"{name} ({speaker['organisation']})"
        names.append(name)
    return ", ".join(names)


def _session_line(event: EventLike, session: SessionLike) -> str:
    start, end = _zone_aware(session.starts_at, event), _zone_aware(session.ends_at, event)
    line = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {_text(session, 'title')}"
    if session.room:
        line += f" ({session.room})"
    speakers = _speakers_text(session)
    if speakers:
        line += f", {speakers}"
    return line


def target_groups_text(event: EventLike) -> str:
    """Who the event is for, by the groups' names in the current language, in the order of
    those names ("Others" last)."""
    names = [
        (code == "other", str(TARGET_GROUP_LABELS.get(code, code)))
        for code in event.target_group_codes
    ]
    return ", ".join(name for _last, name in sorted(names, key=lambda n: (n[0], n[1].casefold())))


def entry_description(
    event: EventLike,
    *,
    sessions: Iterable[SessionLike] = (),
    personal: bool = False,
    join_url: str | None = None,
    limit: int | None = None,
    page_link: bool = True,
) -> str:
    """An entry's description as plain text in the current language: the days of a
    multi-day event, the description (Markdown rendered to text), who it is for, the
    sessions (the agenda, or "Your sessions:" when `personal`), the join link (only when
    given: a confirmed person's entry) and the event's page (unless not `page_link`).
    `limit` shortens the description (links to Google and Outlook carry the text in their
    address)."""
    parts = []
    days = event_days(event)
    if len(days) > 1:
        parts.append(_days_text(days))
    about = markdown_text(_text(event, "description"))
    if limit is not None and len(about) > limit:
        about = about[:limit].rsplit(" ", 1)[0] + " …"
    parts.append(about)
    groups = target_groups_text(event)
    if groups:
        parts.append(_("Who it is for: %(groups)s", groups=groups))
    lines = [_session_line(event, s) for s in sessions]
    if lines:
        heading = _("Your sessions:") if personal else _("Agenda:")
        parts.append(heading + "\n" + "\n".join(lines))
    if join_url:
        parts.append(_("Join online: %(url)s", url=join_url))
    if page_link:
        parts.append(event_page_url(event))
    return "\n\n".join(part for part in parts if part)


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
    description: str,
    join_url: str | None = None,
):
    """The event's one VEVENT, a daily series when it runs over several days."""
    vevent = _base_vevent(event, uid=uid, sequence=sequence, status=status, stamp=stamp)
    title = _text(event, "title")
    summary = title
    if status == "CANCELLED":
        summary = _("Cancelled: %(title)s", title=title)
    vevent.add("summary", summary)
    days = event_days(event)
    vevent.add("dtstart", days[0][0])
    vevent.add("dtend", days[0][1])
    if len(days) > 1:
        vevent.add("rrule", {"freq": "daily", "count": len(days)})
    location = event_location(event)
    if join_url and event.format == "online":
        location = join_url  # calendar programs make an address in LOCATION a link
    vevent.add("location", location)
    if join_url:
        vevent.add("conference", join_url, parameters={"VALUE": "URI"})  # RFC 7986
    vevent.add("description", description)
    vevent.add("categories", [str(KIND_LABELS.get(event.kind, event.kind))])
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
    join_url: str | None = None,
) -> bytes:
    """One event as an iCalendar file (bytes, UTF-8), for downloads and email attachments.
    Always one VEVENT (a daily series for a multi-day event, see event_days).

    - ``method="PUBLISH"`` (the default): the public entry, UID ``event-<id>@<host>``; its
      description lists the agenda (``sessions``; None means all of the event's sessions).
      Never the join link.
    - ``method="REQUEST"``: a registrant's own entry, e.g. a registration confirmation. Pass
      ``uid`` (one of its own per registration, so that a later CANCEL with the same UID
      removes exactly that entry), ``attendee=(name, email)`` and the ``sessions`` the person
      chose (None: none), which its description lists; ``join_url`` (a confirmed person at
      an online or hybrid event) goes into the description, CONFERENCE, and for an online
      event LOCATION. The file gets ORGANIZER (MAIL_DEFAULT_SENDER) and ATTENDEE lines.
    - ``method="CANCEL"``: the same VEVENT with STATUS:CANCELLED. Use the UID of the
      REQUEST it withdraws (a cancelled registration), or leave ``uid`` None for the event's
      own UID (a cancelled event).

    SEQUENCE is ``event.sequence`` (it rises with every change of time, place or status). A
    CANCEL for an event that itself is not cancelled (a registration withdrawn) carries
    ``event.sequence + 1``, so calendar programs take it as newer than the invitation.
    ``event`` and ``sessions`` are the models or their facts (events.facts), as an outbox
    row keeps them: the worker builds the same file, with the SEQUENCE taken when the message
    was queued, in the recipient's language. Call it inside an application context (it
    builds absolute links from PUBLIC_BASE_URL).
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    stamp = utcnow().replace(microsecond=0)
    status = _status(event, method)
    sequence = event.sequence or 0
    cal = _new_calendar(method, _text(event, "title"))

    if method == "PUBLISH":
        if uid is not None or attendee is not None or join_url is not None:
            raise ValueError("uid, attendee and join_url belong to a registrant's entry")
        agenda = event.sessions if sessions is None else list(sessions)
        cal.add_component(
            _event_vevent(
                event,
                uid=event_uid(event),
                sequence=sequence,
                status=status,
                stamp=stamp,
                description=entry_description(event, sessions=agenda),
            )
        )
        return _finish(cal, [event])

    if method == "CANCEL":
        join_url = None
        if event.status != "cancelled":
            sequence += 1
    chosen = [] if sessions is None else list(sessions)
    vevent = _event_vevent(
        event,
        uid=uid or event_uid(event),
        sequence=sequence,
        status=status,
        stamp=stamp,
        description=entry_description(event, sessions=chosen, personal=True, join_url=join_url),
        join_url=join_url,
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
    """Many events in one PUBLISH calendar, each as its public entry (the agenda in its
    description); the events must have their sessions and target groups loaded
    (feed_query) so that this makes no queries of its own."""
    stamp = utcnow().replace(microsecond=0)
    cal = _new_calendar("PUBLISH", name)
    cal.add("x-wr-timezone", current_app.config.get("DEFAULT_TIMEZONE", "Europe/Stockholm"))
    for event in events:
        cal.add_component(
            _event_vevent(
                event,
                uid=event_uid(event),
                sequence=event.sequence,
                status=_status(event, "PUBLISH"),
                stamp=stamp,
                description=entry_description(event, sessions=event.sessions),
            )
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
