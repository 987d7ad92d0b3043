"""Which message goes to whom. Each queues an outbox row in the caller's transaction.

The row keeps a snapshot of the facts (the person's name and manage link, the event's title,
times, zone and place and its SEQUENCE, the chosen sessions, the online link where the person
may have it, a calendar part's method and UID), plain JSON; the worker writes the message from
it when it sends (`_write`, registered with core.mail_render), so queueing renders nothing.

Every message is written in the registrant's language (`registration.language`) with a text
and an HTML part, and carries the manage link. Calendar attachments belong to the person's
own entry: one UID per registration (`registration-<hash>@<host>`), so a later update or CANCEL
replaces or removes exactly that entry in their calendar. Only confirmed people hold an entry,
so only their messages carry a calendar file; a waitlisted person gets the notices without one.
The online join link goes only to a confirmed person: into the confirmation, the promotion and
an update of the time or place, and into the calendar entry they carry.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import segno
from flask_babel import lazy_gettext as _l

from core.mail_render import MailDraft, mail_kind
from core.outbox import queue_email
from core.urls import external_url
from events.calendar import calendar_host, event_calendar
from events.facts import (
    PLACE_FIELDS,
    EventFacts,
    SessionFacts,
    agenda_changes,
    agenda_snapshot,
    event_facts,
    session_facts,
)
from events.facts import previous_facts as facts_previous
from events.models import Event
from participants.models import Registration

CALENDAR_FILENAME = "invite.ics"
TICKET_QR_FILENAME = "ticket-qr.png"


def registration_uid(registration: Registration | str) -> str:
    """The UID of this person's calendar entry, the same in every message about it and in
    /r/<token>/calendar.ics. Made from a hash of the registration's token (which it does not
    reveal)."""
    token = registration if isinstance(registration, str) else registration.token
    digest = hashlib.sha256(f"calendar-uid:{token}".encode()).hexdigest()[:32]
    return f"registration-{digest}@{calendar_host()}"


def _attachment(body: bytes, method: str) -> dict[str, str]:
    return {
        "filename": CALENDAR_FILENAME,
        "content_type": f"text/calendar; charset=utf-8; method={method}",
        "data": body.decode("utf-8"),
    }


def manage_url(registration: Registration) -> str:
    return external_url("participants.manage", token=registration.token)


def ticket_facts(registration: Registration) -> dict[str, Any]:
    """For a confirmed person: the ticket page and the check-in link its QR code encodes (the
    same as /r/<token>/ticket), and whether the day-before reminder will come; the worker
    draws the QR code from checkin_url. Nothing for anyone else (no place, no ticket)."""
    if not registration.holds_place:
        return {}
    return {
        "ticket_url": external_url("participants.ticket", token=registration.token),
        "checkin_url": external_url("participants_checkin.ticket", token=registration.token),
        "reminder": bool(registration.event.send_reminder),
    }


def join_url(registration: Registration) -> str | None:
    """The online link, for a confirmed person at an online or hybrid event."""
    event = registration.event
    if not registration.holds_place or event.format not in ("online", "hybrid"):
        return None
    return event.online_url or None


# --- the snapshot, taken in the transaction ------------------------------------------------


def _person(registration: Registration) -> dict[str, str]:
    return {"name": registration.name, "email": registration.email, "status": registration.status}


def _facts(registration: Registration, *, calendar: str | None = None, **extra: Any) -> dict:
    facts: dict[str, Any] = {
        "registration": _person(registration),
        "event": event_facts(registration.event, registration.language),
        "sessions": [session_facts(s, registration.language) for s in registration.sessions],
        "manage_url": manage_url(registration),
        **extra,
    }
    if calendar:
        facts["calendar"] = {"method": calendar, "uid": registration_uid(registration)}
    return facts


def _message(
    registration: Registration, kind: str, *, calendar: str | None = None, **extra: Any
) -> dict[str, Any]:
    """queue_email()'s arguments for this message about the registration."""
    return {
        "recipient": registration.email,
        "kind": kind,
        "language": registration.language,
        "facts": _facts(registration, calendar=calendar, **extra),
        "registration_id": registration.id,
    }


def _queue(
    registration: Registration, kind: str, *, calendar: str | None = None, **extra: Any
) -> None:
    queue_email(**_message(registration, kind, calendar=calendar, **extra))


def confirmed_message(registration: Registration) -> dict[str, Any]:
    """The confirmation's queue_email() arguments (core.outbox.outbox_insert takes them too,
    for a registration that sends the row with its other statements)."""
    return _message(
        registration,
        "confirmed",
        calendar="REQUEST",
        join_url=join_url(registration),
        **ticket_facts(registration),
    )


def confirmed(registration: Registration) -> None:
    queue_email(**confirmed_message(registration))


def waitlisted(registration: Registration, position: int | None) -> None:
    """On the waiting list, at `position` (participants.seats.waitlist_position)."""
    _queue(registration, "waitlisted", reason=registration.full_reason, position=position)


def promoted(registration: Registration) -> None:
    _queue(
        registration,
        "promoted",
        calendar="REQUEST",
        join_url=join_url(registration),
        **ticket_facts(registration),
    )


def reminder(registration: Registration) -> None:
    """The day before: when and where, the join link (online and hybrid), the ticket and the
    manage link (participants.reminders queues it for each confirmed person)."""
    _queue(registration, "reminder", join_url=join_url(registration), **ticket_facts(registration))


def cancelled(registration: Registration, by_organiser: bool = False) -> None:
    """The registration is cancelled; a confirmed person's calendar entry is withdrawn.

    Called after the status is set to cancelled and before the flush, so the attribute's
    history still tells a confirmed person (who holds an entry) from a waitlisted one."""
    had_entry = _was_confirmed(registration)
    _queue(
        registration,
        "cancelled",
        calendar="CANCEL" if had_entry else None,
        by_organiser=by_organiser,
    )


def _was_confirmed(registration: Registration) -> bool:
    """Whether the status was `confirmed` before this (unflushed) change to `cancelled`."""
    from sqlalchemy import inspect

    history = inspect(registration).attrs.status.history
    before = list(history.deleted) or list(history.unchanged)
    return "confirmed" in before


def manage_link(registration: Registration) -> None:
    _queue(registration, "manage_link")


def previous_facts(
    event: Event,
    before: Mapping[str, Any] | None,
    agenda_before: list[dict[str, Any]] | None = None,
    language: str = "sv",
) -> dict[str, Any] | None:
    """What the time, place and agenda were before a change (events.services sends `before`,
    the event's schedule fields as they were, and `agenda_before`, its sessions as they were),
    as the snapshot keeps it, session titles in `language`: events.facts.previous_facts, which
    also writes the organiser's preview. None without `before` or when nothing there changed."""
    if not before:
        return None
    after = {key: getattr(event, key) for key in before}
    agenda = None
    if agenda_before is not None:
        agenda = agenda_changes(agenda_before, agenda_snapshot(event.sessions), language)
    return facts_previous(before, after, agenda)


def event_changed(registration: Registration, previous: Mapping[str, Any] | None = None) -> None:
    """The event's time or place changed: an updated calendar file (higher SEQUENCE), and what
    the time and place were (`previous`, from previous_facts), so the notice says "was … now"."""
    extra: dict[str, Any] = {"previous": dict(previous)} if previous else {}
    _queue(
        registration,
        "event_changed",
        calendar="REQUEST" if registration.holds_place else None,
        join_url=join_url(registration),  # the updated entry keeps the link (confirmed only)
        **extra,
    )


def event_cancelled(registration: Registration) -> None:
    """The event is cancelled: CANCEL with STATUS:CANCELLED for confirmed people's entries."""
    _queue(registration, "event_cancelled", calendar="CANCEL" if registration.holds_place else None)


# --- the message, written by the worker from the snapshot ------------------------------------


def ticket_qr(checkin_url: str) -> dict[str, Any]:
    """The ticket's QR code as a PNG attachment (the same code as the ticket page's)."""
    out = io.BytesIO()
    segno.make_qr(checkin_url, error="m").save(out, kind="png", scale=8, border=4)
    return {"filename": TICKET_QR_FILENAME, "content_type": "image/png", "data": out.getvalue()}


@dataclass(frozen=True)
class SessionChange:
    """A session whose time or room changed (`moved`, with what they were), or that was
    `added` or `removed`, as the notice lists it (events.facts.agenda_changes)."""

    change: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str = ""
    was_starts_at: datetime | None = None
    was_ends_at: datetime | None = None
    was_room: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionChange:
        def moment(key: str) -> datetime | None:
            return datetime.fromisoformat(data[key]) if data.get(key) else None

        return cls(
            change=data["change"],
            title=data.get("title") or "",
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            room=data.get("room") or "",
            was_starts_at=moment("was_starts_at"),
            was_ends_at=moment("was_ends_at"),
            was_room=data.get("was_room") or "",
        )


@dataclass(frozen=True)
class PreviousFacts:
    """The time, place and agenda before a change, as the notice shows them beside the new."""

    time_changed: bool
    place_changed: bool
    starts_at: datetime
    ends_at: datetime
    timezone: str
    format: str = ""
    venue_name: str = ""
    venue_address: str = ""
    venue_city: str = ""
    venue_country: str = ""
    sessions: tuple[SessionChange, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PreviousFacts:
        return cls(
            time_changed=bool(data.get("time_changed")),
            place_changed=bool(data.get("place_changed")),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            timezone=data["timezone"],
            **{key: data.get(key) or "" for key in PLACE_FIELDS},
            sessions=tuple(SessionChange.from_json(s) for s in data.get("sessions") or ()),
        )


@dataclass(frozen=True)
class RegistrationFacts:
    name: str
    email: str
    status: str

    @property
    def holds_place(self) -> bool:
        return self.status == "confirmed"


# Subjects in the recipient's language (rendered inside force_locale by the worker).
SUBJECTS = {
    "confirmed": _l("Registration confirmed: %(title)s"),
    "waitlisted": _l("You are on the waiting list: %(title)s"),
    "promoted": _l("You have a seat: %(title)s"),
    "cancelled": _l("Registration cancelled: %(title)s"),
    "manage_link": _l("Your registration: %(title)s"),
    "event_changed": _l("Changed time or place: %(title)s"),
    "event_cancelled": _l("Cancelled: %(title)s"),
    "reminder": _l("Reminder: %(title)s"),
}


def _subject(kind: str, facts: Mapping[str, Any], title: str) -> str:
    """The subject in the current (the recipient's) language; a bulk message has the
    organiser's own (written in the language the row is queued in: participants.mailings)."""
    if kind in SUBJECTS:
        return str(SUBJECTS[kind]) % {"title": title}
    if facts.get("test"):  # an organiser's test copy of a mailing (participants.mailings)
        return str(_l("[Test] %(subject)s")) % {"subject": facts["subject"]}
    return str(facts["subject"])


@mail_kind(
    "confirmed",
    "waitlisted",
    "promoted",
    "cancelled",
    "manage_link",
    "event_changed",
    "event_cancelled",
    "bulk_message",
    "reminder",
)
def _write(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    """The message of this kind from its snapshot, in the current (the recipient's) language:
    the template's context, and the calendar part built from the same facts."""
    event = EventFacts.from_json(facts["event"])
    registration = RegistrationFacts(**facts["registration"])
    sessions = [SessionFacts.from_json(s) for s in facts.get("sessions", [])]
    context: dict[str, Any] = {
        key: value
        for key, value in facts.items()
        if key not in ("event", "registration", "sessions", "calendar", "subject")
    }
    context.update(registration=registration, event=event, sessions=sessions)
    if facts.get("previous"):  # older rows have none: the notice then shows only the new
        context["previous"] = PreviousFacts.from_json(facts["previous"])
    attachments = []
    calendar = facts.get("calendar")
    if calendar:
        method = calendar["method"]
        body = event_calendar(
            event,
            method=method,
            uid=calendar["uid"],
            attendee=(registration.name, registration.email),
            sessions=sessions,
            join_url=facts.get("join_url") if method == "REQUEST" else None,
        )
        attachments.append(_attachment(body, method))
    if facts.get("checkin_url") and registration.holds_place:
        attachments.append(ticket_qr(facts["checkin_url"]))
    return MailDraft(kind, _subject(kind, facts, event.title), context, attachments)
