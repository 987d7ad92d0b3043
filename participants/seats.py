"""Seats: the event's lock, the kept counts of what is taken, why a seat is refused, promotion,
the waiting list.

No one may get a seat that does not exist. Every change that counts seats runs in one write
transaction: the event row is locked (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on
SQLite), the counts are read again, and only then is the row written (pretix's "lock, re-check,
insert"). A registration is confirmed when the event, the person's target-group quota and every
chosen session have room; otherwise it is waitlisted as a whole, and the first waitlisted person
who fits is promoted as soon as a seat frees up (promote_from_waitlist).

The seats taken are kept, not counted: `confirmed_count` on the event, on each of its target
groups and on each session, read with the event under its lock and changed by apply() in the
same transaction as the registration (through shift(), the one place they are written).
recount() proves them against the registrations (`flask --app app seats check`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.db import db, write_transaction
from core.errors import NotFound
from core.prepared import Prepared, run_together
from events.models import Event, EventTargetGroup, Session, bump_version
from events.records import EventRecord
from participants import emails
from participants.models import Registration, registration_session

FULL_MESSAGES = {
    "event": _l("The event is full."),
    "quota": _l("The places for your target group are taken."),
    "session": _l("A session you chose is full."),
}


def lock_event(event_id: int) -> Event:
    """Take the event's lock for this transaction and read it afresh, with its target groups
    and sessions (and so every counter), in one query.

    On PostgreSQL the lock is a statement of its own, before the read: a locking statement that
    waited sees the locked row as the last holder left it, but rows it joins as they were when
    it started waiting."""
    # The lock is an UPDATE that raises the event's version: whatever happens under it may change
    # what the event's pages show (seats, the waiting list), so a cached page of the event is
    # never served after it (core/page_cache.py). On SQLite BEGIN IMMEDIATE has the lock already.
    bump_version(event_id)
    event = (
        db.session.scalars(
            sa.select(Event)
            .where(Event.id == event_id)
            .options(joinedload(Event.target_groups), joinedload(Event.sessions))
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if event is None:
        raise NotFound(_l("There is no such event."))
    return event


# What decides a seat, returned by the lock itself; updated_at tells whether an organiser
# changed the event since it was read (then the whole row is read again, under the lock).
_DECIDING = (
    "id", "status", "capacity", "confirmed_count", "published_at", "registration_opens_at",
    "registration_closes_at", "starts_at", "updated_at", "version",
)  # fmt: skip
_LOCK = Prepared(
    sa.update(Event.__table__)
    .where(Event.__table__.c.id == sa.bindparam("p_event"))
    .values(
        version=Event.__table__.c.version + 1,
        updated_at=Event.__table__.c.updated_at,
        confirmed_count=Event.__table__.c.confirmed_count + sa.bindparam("p_seat"),
    )
    .returning(*(Event.__table__.c[name] for name in _DECIDING))
)
_EVENT_ROW = Prepared(
    sa.select(Event.__table__).where(Event.__table__.c.id == sa.bindparam("p_event"))
)
_GROUP_SEATS = Prepared(
    sa.select(EventTargetGroup.__table__).where(
        EventTargetGroup.__table__.c.event_id == sa.bindparam("p_event"),
        EventTargetGroup.__table__.c.code == sa.bindparam("p_code"),
    )
)
# All of the event's sessions (a handful), the chosen ones picked in Python: a Prepared statement
# has no expanding IN, and so it goes to the server with the lock.
_SESSION_SEATS = Prepared(
    sa.select(Session.__table__)
    .where(Session.__table__.c.event_id == sa.bindparam("p_event"))
    .order_by(Session.__table__.c.starts_at, Session.__table__.c.id)
)


def lock_seats(
    before: Mapping[str, Any], target_group: str, session_ids: list[int], *, seat: int = 0
) -> EventRecord:
    """lock_event() without the ORM, for one registration of the event whose columns were
    `before` (events.records.column_values, read before the lock): the
    lock and what decides a seat in one UPDATE ... RETURNING (the whole row again only when an
    organiser changed the event meanwhile), with the kept counts of this target group and
    these sessions read after it, in the same round trip. The record's target_groups and
    sessions are only those (the group's row is missing when the event has none for it).
    NotFound when the event is gone.

    The same UPDATE adds `seat` to the event's count: a registration that will most often be
    confirmed changes the event row once, not twice. The record shows the count before it; a
    caller whose decision is the waiting list takes the seat back (write_counts(id, -seat)) in
    the same transaction."""
    connection = db.session.connection()
    event_id = before["id"]
    reads: list[tuple[Prepared, dict[str, Any]]] = [
        (_LOCK, {"p_event": event_id, "p_seat": seat}),
        (_GROUP_SEATS, {"p_event": event_id, "p_code": target_group}),
    ]
    if session_ids:
        reads.append((_SESSION_SEATS, {"p_event": event_id}))
    # One round trip on PostgreSQL; the reads run after the lock is taken, each with a snapshot
    # of its own, so they see the last holder's commit.
    locked, groups, *agenda = run_together(connection, reads)
    if not locked:
        raise NotFound(_l("There is no such event."))
    row = locked[0]._asdict()
    if row["updated_at"] == before["updated_at"]:
        row = {**before, **row}
    else:
        row = _EVENT_ROW.run(connection, {"p_event": event_id})[0]._asdict()
    row["confirmed_count"] -= seat
    chosen = set(session_ids)
    sessions = [s for s in agenda[0] if s.id in chosen] if agenda else []
    return EventRecord(row, groups, sessions)


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


def taken_seats(event: Event) -> Taken:
    """The kept counts of the event as loaded (fresh under lock_event); no query of its own."""
    return Taken(
        event.confirmed_count,
        {tg.code: tg.confirmed_count for tg in event.target_groups},
        {s.id: s.confirmed_count for s in event.sessions},
    )


_event = Event.__table__
_groups = EventTargetGroup.__table__
_sessions = Session.__table__

# The counts' statements, built once (they run on every registration). Bind names differ from
# the columns' (an UPDATE reserves those).
_EVENT_COUNT = Prepared(
    sa.update(_event)
    .where(_event.c.id == sa.bindparam("p_event"))
    .values(
        confirmed_count=_event.c.confirmed_count + sa.bindparam("p_delta"),
        updated_at=_event.c.updated_at,  # a seat is not an edit of the event
    )
)
_ROW_COUNTS = {
    key: Prepared(
        sa.update(table)
        .where(table.c.event_id == sa.bindparam("p_event"), table.c[key] == sa.bindparam("p_key"))
        .values(confirmed_count=table.c.confirmed_count + sa.bindparam("p_delta"))
    )
    for table, key in ((_groups, "code"), (_sessions, "id"))
}


def count_statements(
    event_id: int,
    seats: int = 0,
    groups: Mapping[str, int] | None = None,
    sessions: Mapping[int, int] | None = None,
    *,
    event_row: bool = True,
) -> list[tuple[Prepared, dict[str, Any]]]:
    """write_counts()'s statements, not run (for a caller that sends them with others,
    core.prepared.run_together): the event row's (unless event_row=False: the registration's lock
    counted it), one per changed group and session."""
    statements: list[tuple[Prepared, dict[str, Any]]] = (
        [(_EVENT_COUNT, {"p_event": event_id, "p_delta": seats})] if event_row else []
    )
    for key, deltas in (("code", groups or {}), ("id", sessions or {})):
        for row_key, delta in sorted(deltas.items()):  # one order: rows are locked in it
            if delta:
                statements.append(
                    (_ROW_COUNTS[key], {"p_event": event_id, "p_key": row_key, "p_delta": delta})
                )
    return statements


def write_counts(
    event_id: int,
    seats: int = 0,
    groups: Mapping[str, int] | None = None,
    sessions: Mapping[int, int] | None = None,
) -> None:
    """Add `seats` to the event's count, groups[code] to a target group's, sessions[id] to a
    session's, in the database alone. Call under the event's lock, in the transaction that
    makes the change. One UPDATE of the event row always (whatever changes a count changes what
    the event's pages show), one per changed group and session: in one round trip on
    PostgreSQL."""
    run_together(db.session.connection(), count_statements(event_id, seats, groups, sessions))


def shift(
    event: Event,
    seats: int = 0,
    groups: Mapping[str, int] | None = None,
    sessions: Mapping[int, int] | None = None,
) -> None:
    """The one place the kept counts of a loaded event change: write_counts(), and the loaded
    objects given the new values without being marked changed (Event.updated_at stays)."""
    groups, sessions = groups or {}, sessions or {}
    write_counts(event.id, seats, groups, sessions)
    set_committed_value(event, "confirmed_count", event.confirmed_count + seats)
    for rows, key, deltas in (
        (event.target_groups, "code", groups),
        (event.sessions, "id", sessions),
    ):
        for row in rows:
            delta = deltas.get(getattr(row, key), 0)
            if delta:
                set_committed_value(row, "confirmed_count", row.confirmed_count + delta)


def apply(
    event: Event,
    registration: Registration,
    delta: int,
    *,
    sessions: Iterable[Session] | None = None,
    seat: bool = True,
) -> None:
    """A confirmed seat taken (+1) or freed (-1): in the event and the person's target group
    (unless `seat` is False) and in each of `sessions` (default: the registration's own)."""
    groups = {registration.target_group: delta} if seat else {}
    chosen = registration.sessions if sessions is None else sessions
    shift(event, delta if seat else 0, groups, {s.id: delta for s in chosen})


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
    return max(0, event.capacity - event.confirmed_count)


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
    promoted = []
    for registration in waiting:
        taken = taken_seats(event)
        if event.capacity is not None and taken.total >= event.capacity:
            break
        if full_reason(event, taken, registration.target_group, registration.sessions) is None:
            registration.status = "confirmed"
            apply(event, registration, +1)
            emails.promoted(registration)
            promoted.append(registration)
    return promoted


# --- proving the kept counts -------------------------------------------------------------------


@dataclass
class Difference:
    """A kept count that is not what the registrations say."""

    event_id: int
    slug: str
    kind: str  # event, group or session
    key: str | int | None  # the group's code, the session's id
    kept: int
    counted: int
    title: str = ""  # the session's

    @property
    def what(self) -> str:
        if self.kind == "group":
            return f"target group {self.key}"
        if self.kind == "session":
            return f"session {self.key} ({self.title})"
        return "event"


def _counted(*where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.status == "confirmed", *where)
        .scalar_subquery()
    )


def recount(event_id: int | None = None) -> list[Difference]:
    """Count the confirmed registrations again and name every kept count that differs (of one
    event, or of all). Each of the three statements reads the counts and the registrations in
    one snapshot, and they only ever change together, so a difference is never a race."""
    in_event = [Event.id == event_id] if event_id is not None else []
    differences: list[Difference] = []

    counted = _counted(Registration.event_id == Event.id)
    for row in db.session.execute(
        sa.select(Event.id, Event.slug, Event.confirmed_count, counted.label("counted"))
        .where(Event.confirmed_count != counted, *in_event)
        .order_by(Event.id)
    ):
        differences.append(
            Difference(row.id, row.slug, "event", None, row.confirmed_count, row.counted)
        )

    counted = _counted(
        Registration.event_id == EventTargetGroup.event_id,
        Registration.target_group == EventTargetGroup.code,
    )
    for row in db.session.execute(
        sa.select(
            Event.id, Event.slug, EventTargetGroup.code, EventTargetGroup.confirmed_count,
            counted.label("counted"),
        )
        .join(EventTargetGroup, EventTargetGroup.event_id == Event.id)
        .where(EventTargetGroup.confirmed_count != counted, *in_event)
        .order_by(Event.id, EventTargetGroup.code)
    ):  # fmt: skip
        differences.append(
            Difference(row.id, row.slug, "group", row.code, row.confirmed_count, row.counted)
        )

    counted = (
        sa.select(sa.func.count())
        .select_from(registration_session)
        .join(Registration, Registration.id == registration_session.c.registration_id)
        .where(registration_session.c.session_id == Session.id, Registration.status == "confirmed")
        .scalar_subquery()
    )
    for row in db.session.execute(
        sa.select(
            Event.id, Event.slug, Session.id.label("session_id"), Session.title,
            Session.confirmed_count, counted.label("counted"),
        )
        .join(Session, Session.event_id == Event.id)
        .where(Session.confirmed_count != counted, *in_event)
        .order_by(Event.id, Session.id)
    ):  # fmt: skip
        differences.append(
            Difference(
                row.id,
                row.slug,
                "session",
                row.session_id,
                row.confirmed_count,
                row.counted,
                row.title,
            )
        )
    differences.sort(key=lambda d: d.event_id)
    return differences


def fix_counts(event_ids: Iterable[int]) -> list[Difference]:
    """Set the kept counts of these events to a fresh count, each under the event's lock (so
    no registration changes them meanwhile). Returns what was corrected."""
    fixed: list[Difference] = []
    for event_id in sorted(set(event_ids)):
        with write_transaction():
            event = lock_event(event_id)
            differences = recount(event_id)
            deltas: dict[str, dict] = {"event": {}, "group": {}, "session": {}}
            for difference in differences:
                deltas[difference.kind][difference.key] = difference.counted - difference.kept
            if differences:
                shift(event, deltas["event"].get(None, 0), deltas["group"], deltas["session"])
            db.session.commit()
        fixed.extend(differences)
    return fixed


def recount_groups(event: Event, codes: Iterable[str]) -> None:
    """Count the confirmed seats of these target groups of the event afresh (a group just
    admitted, which confirmed people an organiser added may already belong to). Call under
    lock_event()."""
    codes = list(codes)
    counted = dict(
        db.session.execute(
            sa.select(Registration.target_group, sa.func.count())
            .where(
                Registration.event_id == event.id,
                Registration.status == "confirmed",
                Registration.target_group.in_(codes),
            )
            .group_by(Registration.target_group)
        ).all()
    )
    deltas = {
        tg.code: counted.get(tg.code, 0) - tg.confirmed_count
        for tg in event.target_groups
        if tg.code in codes
    }
    if any(deltas.values()):
        shift(event, groups=deltas)
