"""The registration window: when registration opens and closes, the state an event is in for
registering, and what its page says about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import read_for_page, utcnow
from core.errors import ServiceError
from events.models import Event
from participants.models import Registration
from participants.seats import (
    seats_left,
)


class RegistrationClosed(ServiceError):
    status = 409
    code = "registration_closed"


class EventCancelled(ServiceError):
    status = 409
    code = "event_cancelled"


def opens_at(event: Event) -> datetime | None:
    return event.registration_opens_at or event.published_at


def closes_at(event: Event) -> datetime:
    closes = event.registration_closes_at or event.starts_at
    return min(closes, event.starts_at)


def registration_state(event: Event, now: datetime | None = None) -> str:
    """open, not_yet_open, closed, started, cancelled or draft."""
    now = now or utcnow()
    if event.status == "cancelled":
        return "cancelled"
    if event.status != "published":
        return "draft"
    if now >= event.starts_at:
        return "started"
    opens = opens_at(event)
    if opens and now < opens:
        return "not_yet_open"
    if now >= closes_at(event):
        return "closed"
    return "open"


STATE_MESSAGES = {
    "cancelled": _l("The event is cancelled, so registration is closed."),
    "draft": _l("The event is not published."),
    "started": _l("The event has started, so registration is closed."),
    "not_yet_open": _l("Registration has not opened yet."),
    "closed": _l("Registration has closed."),
}


_WAITLISTED = sa.select(sa.func.count()).where(
    Registration.__table__.c.event_id == sa.bindparam("p_event"),
    Registration.__table__.c.status == "waitlisted",
)


def registration_summary(event: Event) -> dict[str, Any]:
    """What the event page says about registering: `state` (see registration_state), the
    `message` when closed, `seats_left` (None without a limit; from the kept count) and how
    many are `waitlisted` (one count of the waiting list alone, made only for an open event
    that is full: the page says it only then; 0 otherwise)."""
    state = registration_state(event)
    left = seats_left(event)
    waitlisted = 0
    if state == "open" and left is not None and left <= 0:  # only a full event shows it
        waitlisted = read_for_page(_WAITLISTED, {"p_event": event.id}).scalar() or 0
    return {
        "state": state,
        "message": STATE_MESSAGES.get(state),
        "seats_left": left,
        "waitlisted": waitlisted,
    }


def ensure_open(event: Event) -> None:
    state = registration_state(event)
    if state == "open":
        return
    error = EventCancelled if state == "cancelled" else RegistrationClosed
    raise error(STATE_MESSAGES[state])
