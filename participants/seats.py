"""Seats: the event's lock, what is taken, why a seat is refused, promotion, the waiting list.

No one may get a seat that does not exist. Every change that counts seats runs in one write
transaction: the event row is locked (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on
SQLite), the counts are read again, and only then is the row written (pretix's "lock, re-check,
insert"). A registration is confirmed when the event, the person's target-group quota and every
chosen session have room; otherwise it is waitlisted as a whole, and the first waitlisted person
who fits is promoted as soon as a seat frees up (promote_from_waitlist).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from core.db import db
from core.errors import NotFound
from events.models import Event, Session, bump_version
from participants import emails
from participants.models import Registration, registration_session

FULL_MESSAGES = {
    "event": _l("The event is full."),
    "quota": _l("The places for your target group are taken."),
    "session": _l("A session you chose is full."),
}


def lock_event(event_id: int) -> Event:
    """Take the event's lock for this transaction and read it afresh."""
    bump_version(event_id)  # i7 page cache: seats may change; the seats engineer's counter moves it
    event = db.session.scalar(
        sa.select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound(_l("There is no such event."))
    return event


@dataclass
class Taken:
    """Confirmed seats of one event: in all, per target group and per session."""

    total: int
    by_group: dict[str, int]
    by_session: dict[int, int]

    def session_full(self, session: Session) -> bool:
        """Whether one more confirmed person would not fit in the session."""
        return session.capacity is not None and self.by_session.get(session.id, 0) >= (
            session.capacity
        )

    def session_left(self, session: Session) -> int | None:
        """Free places of the session's own (None when it has no limit)."""
        if session.capacity is None:
            return None
        return max(0, session.capacity - self.by_session.get(session.id, 0))

    def occupy(self, registration: Registration) -> None:
        self.total += 1
        group = registration.target_group
        self.by_group[group] = self.by_group.get(group, 0) + 1
        for session in registration.sessions:
            self.by_session[session.id] = self.by_session.get(session.id, 0) + 1

    def release(self, registration: Registration) -> None:
        self.total -= 1
        self.by_group[registration.target_group] -= 1
        for session in registration.sessions:
            self.by_session[session.id] -= 1


def taken_seats(event: Event) -> Taken:
    confirmed = sa.and_(Registration.event_id == event.id, Registration.status == "confirmed")
    by_group = dict(
        db.session.execute(
            sa.select(Registration.target_group, sa.func.count())
            .where(confirmed)
            .group_by(Registration.target_group)
        ).all()
    )
    by_session = dict(
        db.session.execute(
            sa.select(registration_session.c.session_id, sa.func.count())
            .join(Registration, Registration.id == registration_session.c.registration_id)
            .where(confirmed)
            .group_by(registration_session.c.session_id)
        ).all()
    )
    return Taken(sum(by_group.values()), by_group, by_session)


def full_reason(
    event: Event, taken: Taken, target_group: str, sessions: Iterable[Session]
) -> str | None:
    """Why one more confirmed seat would not fit: 'event', 'quota', 'session', or None."""
    if event.capacity is not None and taken.total >= event.capacity:
        return "event"
    quota = event.quota_for(target_group)
    if quota is not None and taken.by_group.get(target_group, 0) >= quota:
        return "quota"
    if any(taken.session_full(session) for session in sessions):
        return "session"
    return None


def seats_left(event: Event) -> int | None:
    """Free seats in the event as a whole; None when it has no limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - taken_seats(event).total)


def session_places_left(event: Event) -> dict[int, int | None]:
    """Session id -> free places of its own (None when the session has no limit)."""
    taken = taken_seats(event)
    return {s.id: taken.session_left(s) for s in event.sessions}


# --- the waiting list --------------------------------------------------------------------------


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None unless waitlisted. First come, first served by id."""
    if registration.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            Registration.id < registration.id,
        )
    )
    return (ahead or 0) + 1


def waitlist_positions(event: Event) -> dict[int, int]:
    """Registration id -> place in the queue, for every waitlisted person of the event."""
    ids = db.session.scalars(
        sa.select(Registration.id)
        .where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.id)
    )
    return {registration_id: n for n, registration_id in enumerate(ids, start=1)}


def waitlist_reason(registration: Registration) -> str | None:
    """Why a waitlisted person is still waiting now: 'event', 'quota', 'session' or None."""
    if registration.status != "waitlisted":
        return None
    return full_reason(
        registration.event,
        taken_seats(registration.event),
        registration.target_group,
        registration.sessions,
    )


def promote_from_waitlist(event: Event) -> list[Registration]:
    """Confirm, in order, every waitlisted person who now fits, and tell them. Call inside a
    write transaction that holds the event's lock."""
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.id)
        .options(selectinload(Registration.sessions))
    ).all()
    if not waiting:
        return []
    taken = taken_seats(event)
    promoted = []
    for registration in waiting:
        if event.capacity is not None and taken.total >= event.capacity:
            break
        if full_reason(event, taken, registration.target_group, registration.sessions) is None:
            registration.status = "confirmed"
            taken.occupy(registration)
            emails.promoted(registration)
            promoted.append(registration)
    return promoted
