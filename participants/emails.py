"""Which message goes to whom. Each queues an outbox row in the caller's transaction.

Every message is written in the registrant's language (`registration.language`) with a text
and an HTML part, and carries the manage link. Calendar attachments belong to the person's
own entry: one UID per registration (`registration-<id>@<host>`), so a later update or CANCEL
replaces or removes exactly that entry in their calendar. Only confirmed people hold an entry,
so only their messages carry a calendar file; a waitlisted person gets the notices without one.
The online join link goes only into the confirmation and the promotion.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core.outbox import queue_email
from core.urls import external_url
from events.calendar import calendar_host, event_calendar
from events.models import Event, Session
from participants.models import Registration

CALENDAR_FILENAME = "invite.ics"


def registration_uid(registration: Registration | str) -> str:
    """The UID of this person's calendar entry, the same in every message about it.

    Made from a hash of the registration's token (which it does not reveal), not from its
    id, so that register() can build the invitation before it takes the event's lock."""
    token = registration if isinstance(registration, str) else registration.token
    digest = hashlib.sha256(f"calendar-uid:{token}".encode()).hexdigest()[:32]
    return f"registration-{digest}@{calendar_host()}"


@dataclass
class Invitation:
    """A confirmation's calendar file built ahead, outside the lock (building it is the
    slowest part of registering); used only if the event has not changed since."""

    token: str
    sequence: int
    session_ids: list[int]
    attachment: dict[str, str]


def prepare_invitation(
    event: Event, token: str, name: str, email: str, sessions: list[Session], language: str
) -> Invitation:
    with force_locale(language):
        body = event_calendar(
            event,
            method="REQUEST",
            uid=registration_uid(token),
            attendee=(name, email),
            sessions=sessions,
        )
    return Invitation(
        token=token,
        sequence=event.sequence,
        session_ids=[s.id for s in sessions],
        attachment=_attachment(body, "REQUEST"),
    )


def _attachment(body: bytes, method: str) -> dict[str, str]:
    return {
        "filename": CALENDAR_FILENAME,
        "content_type": f"text/calendar; charset=utf-8; method={method}",
        "data": body.decode("utf-8"),
    }


def manage_url(registration: Registration) -> str:
    return external_url("participants.manage", token=registration.token)


def join_url(registration: Registration) -> str | None:
    """The online link, for a confirmed person at an online or hybrid event."""
    event = registration.event
    if not registration.holds_place or event.format not in ("online", "hybrid"):
        return None
    return event.online_url or None


def _calendar(registration: Registration, method: str) -> dict[str, str]:
    """The person's calendar file as an attachment, written in their language."""
    with force_locale(registration.language):
        body = event_calendar(
            registration.event,
            method=method,
            uid=registration_uid(registration),
            attendee=(registration.name, registration.email),
            sessions=list(registration.sessions),
        )
    return _attachment(body, method)


def _queue(
    registration: Registration,
    template: str,
    subject: Any,
    *,
    calendar: str | None = None,
    invitation: Invitation | None = None,
    **context: Any,
) -> None:
    if calendar == "REQUEST" and _still_valid(invitation, registration):
        attachments = [invitation.attachment]
    else:
        attachments = [_calendar(registration, calendar)] if calendar else []
    queue_email(
        registration.email,
        template,
        registration.language,
        subject,
        attachments=attachments,
        registration=registration,
        event=registration.event,
        sessions=list(registration.sessions),
        manage_url=manage_url(registration),
        **context,
    )


def _still_valid(invitation: Invitation | None, registration: Registration) -> bool:
    return (
        invitation is not None
        and invitation.token == registration.token
        and invitation.sequence == registration.event.sequence
        and invitation.session_ids == [s.id for s in registration.sessions]
    )


def confirmed(registration: Registration, invitation: Invitation | None = None) -> None:
    title = registration.event.title
    _queue(
        registration,
        "confirmed",
        _l("Registration confirmed: %(title)s", title=title),
        calendar="REQUEST",
        invitation=invitation,
        join_url=join_url(registration),
    )


def waitlisted(registration: Registration, position: int | None) -> None:
    """On the waiting list, at `position` (participants.seats.waitlist_position)."""
    title = registration.event.title
    _queue(
        registration,
        "waitlisted",
        _l("You are on the waiting list: %(title)s", title=title),
        reason=registration.full_reason,
        position=position,
    )


def promoted(registration: Registration) -> None:
    title = registration.event.title
    _queue(
        registration,
        "promoted",
        _l("You have a seat: %(title)s", title=title),
        calendar="REQUEST",
        join_url=join_url(registration),
    )


def cancelled(registration: Registration, by_organiser: bool = False) -> None:
    """The registration is cancelled; a confirmed person's calendar entry is withdrawn.

    Called after the status is set to cancelled and before the flush, so the attribute's
    history still tells a confirmed person (who holds an entry) from a waitlisted one."""
    title = registration.event.title
    had_entry = _was_confirmed(registration)
    _queue(
        registration,
        "cancelled",
        _l("Registration cancelled: %(title)s", title=title),
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
    title = registration.event.title
    _queue(registration, "manage_link", _l("Your registration: %(title)s", title=title))


def event_changed(registration: Registration) -> None:
    """The event's time or place changed: an updated calendar file (higher SEQUENCE)."""
    title = registration.event.title
    confirmed_seat = registration.holds_place
    _queue(
        registration,
        "event_changed",
        _l("Changed time or place: %(title)s", title=title),
        calendar="REQUEST" if confirmed_seat else None,
    )


def event_cancelled(registration: Registration) -> None:
    """The event is cancelled: CANCEL with STATUS:CANCELLED for confirmed people's entries."""
    title = registration.event.title
    _queue(
        registration,
        "event_cancelled",
        _l("Cancelled: %(title)s", title=title),
        calendar="CANCEL" if registration.holds_place else None,
    )


def bulk_message(registration: Registration, subject: str, body: str) -> None:
    """The organiser's own text to one registrant (participants.messaging), with the manage link."""
    queue_email(
        registration.email,
        "bulk_message",
        registration.language,
        subject,
        body=body,
        registration=registration,
        event=registration.event,
        manage_url=manage_url(registration),
    )
