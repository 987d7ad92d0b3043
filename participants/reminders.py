"""The reminder the day before an event, queued by the worker (core.outbox's due work).

An event is due when it is published, its organiser left `send_reminder` on, it starts within
the next REMINDER_BEFORE (24 hours) and has not started, and its reminder was not sent for its
current start: `reminder_sent_at` is empty, or older than REMINDER_STALE (36 hours) before the
start, which means it was sent for an earlier time and the event has since moved to a later
day (so a move needs no bookkeeping of its own, and a move by a few hours sends nothing more).

Each event is one write transaction: a conditional UPDATE sets reminder_sent_at only while the
event is still due, and only the worker whose UPDATE changed the row queues the emails (one per
confirmed registration, none to waitlisted or cancelled people), in the same transaction, so
two workers never send it twice and a failure leaves neither the mark nor the emails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.db import db, utcnow, write_transaction
from events.models import Event
from participants import emails
from participants.models import Registration

REMINDER_BEFORE = timedelta(hours=24)
REMINDER_STALE = timedelta(hours=36)


def _window(now: datetime) -> sa.ColumnElement[bool]:
    """Published, reminder on, starting within REMINDER_BEFORE, not started; and not reminded
    since REMINDER_STALE - REMINDER_BEFORE (12 hours): a reminder older than its start minus
    36 hours, for a start at most 24 hours away, is older than that. The exact test against
    each event's own start is `is_due` (SQLite cannot subtract an interval from a column)."""
    return sa.and_(
        Event.status == "published",
        Event.send_reminder.is_(True),
        Event.starts_at > now,
        Event.starts_at <= now + REMINDER_BEFORE,
        sa.or_(
            Event.reminder_sent_at.is_(None),
            Event.reminder_sent_at < now + REMINDER_BEFORE - REMINDER_STALE,
        ),
    )


def is_due(starts_at: datetime, reminder_sent_at: datetime | None) -> bool:
    """Whether the reminder for this start is still to be sent: never sent, or sent for an
    earlier start (more than REMINDER_STALE before this one)."""
    return reminder_sent_at is None or reminder_sent_at < starts_at - REMINDER_STALE


def due_events(now: datetime | None = None) -> list[tuple[int, datetime, datetime | None]]:
    """(id, start, reminder_sent_at) of each event whose reminder is due at `now`."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Event.id, Event.starts_at, Event.reminder_sent_at)
        .where(_window(now))
        .order_by(Event.starts_at, Event.id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows if is_due(row[1], row[2])]


def remind_event(
    event_id: int, starts_at: datetime, sent_at: datetime | None, now: datetime | None = None
) -> int | None:
    """Mark the event's reminder sent and queue it to each confirmed person, in one
    transaction; the people reminded, or None when another worker was first (or the event
    changed since it was read: its start, its switch, its status)."""
    now = now or utcnow()
    with write_transaction():
        # Compare and set: only while the start and the mark are what was read as due.
        marked = db.session.execute(
            sa.update(Event)
            .where(
                Event.id == event_id,
                _window(now),
                Event.starts_at == starts_at,
                Event.reminder_sent_at.is_(None)
                if sent_at is None
                else Event.reminder_sent_at == sent_at,
            )
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            db.session.rollback()
            return None
        people = list(
            db.session.scalars(
                sa.select(Registration)
                .where(Registration.event_id == event_id, Registration.status == "confirmed")
                .options(selectinload(Registration.sessions))
                .order_by(Registration.id)
            )
        )
        for registration in people:
            emails.reminder(registration)
        db.session.commit()
        return len(people)


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue every due event's reminder; the emails queued."""
    now = now or utcnow()
    queued = 0
    for event_id, starts_at, sent_at in due_events(now):
        queued += remind_event(event_id, starts_at, sent_at, now) or 0
    return queued
