"""Attendance at the door: what scanning a ticket means for the door's event, and check-in to
the sessions of the agenda that keep their own attendance (Session.track_attendance; the
moment is registration_session.attended_at).

The event's own check-in (Registration.attended_at) is participants.services.check_in; a scan
calls it. The views (participants/checkin_views.py) and the API call these functions, so a
rule lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import record
from core.db import db, utcnow, write_transaction
from core.errors import Conflict, NotFound
from events.models import Event, Session
from participants.models import Registration, registration_session
from participants.queries import RegistrationFilters, registrations_query
from participants.services import check_in

# What a scan can find, in the words the door page shows (checkin_views.RESULTS).
SCAN_OUTCOMES = ("checked_in", "already", "waitlisted", "cancelled", "other_event")


@dataclass
class Scan:
    """The result of scanning a ticket at the door of `door` (an event)."""

    outcome: str  # one of SCAN_OUTCOMES
    registration: Registration

    @property
    def admitted(self) -> bool:
        """The person may go in: checked in now or earlier."""
        return self.outcome in ("checked_in", "already")


def scan(door: Event, registration: Registration) -> Scan:
    """A ticket scanned at the door of `door`: a confirmed person of this event is checked in
    (a second scan keeps the first time and says "already"); anyone else is refused with the
    reason: on the waiting list, cancelled, or a ticket of another event. Nothing is written
    for a refused ticket."""
    if registration.event_id != door.id:
        return Scan("other_event", registration)
    if registration.status in ("waitlisted", "cancelled"):
        return Scan(registration.status, registration)
    if registration.attended_at is not None:
        return Scan("already", registration)
    return Scan("checked_in", check_in(registration, True))


# --- sessions that keep their own attendance ----------------------------------------------


def find_session(event: Event, session_id: int) -> Session:
    """A session of this event by id; NotFound for another event's."""
    session = db.session.get(Session, session_id)
    if session is None or session.event_id != event.id:
        raise NotFound(_l("There is no such session."))
    return session


def tracked_sessions(event: Event) -> list[Session]:
    """The event's sessions that keep their own attendance, in agenda order."""
    return [s for s in event.sessions if s.track_attendance]


def session_times(registration: Registration) -> dict[int, datetime | None]:
    """The person's sessions (by id) with when they arrived at each, None when not yet."""
    rows = db.session.execute(
        sa.select(registration_session.c.session_id, registration_session.c.attended_at).where(
            registration_session.c.registration_id == registration.id
        )
    ).all()
    return {session_id: attended_at for session_id, attended_at in rows}


def event_session_times(event: Event) -> dict[tuple[int, int], datetime]:
    """Every check-in to a session of the event, by (registration id, session id), in one
    query (the export's columns)."""
    rows = db.session.execute(
        sa.select(
            registration_session.c.registration_id,
            registration_session.c.session_id,
            registration_session.c.attended_at,
        )
        .join(Registration, Registration.id == registration_session.c.registration_id)
        .where(Registration.event_id == event.id, registration_session.c.attended_at.is_not(None))
    ).all()
    return {(r, s): at for r, s, at in rows}


@dataclass
class SessionCount:
    session: Session
    arrived: int  # confirmed people checked in to the session
    registered: int  # confirmed people who chose the session


def session_counts(event: Event) -> list[SessionCount]:
    """For each session that keeps attendance: how many of its confirmed people arrived."""
    sessions = tracked_sessions(event)
    if not sessions:
        return []
    rows = db.session.execute(
        sa.select(
            registration_session.c.session_id,
            sa.func.count(),
            sa.func.count(registration_session.c.attended_at),
        )
        .join(Registration, Registration.id == registration_session.c.registration_id)
        .where(
            registration_session.c.session_id.in_([s.id for s in sessions]),
            Registration.status == "confirmed",
        )
        .group_by(registration_session.c.session_id)
    ).all()
    found = {session_id: (registered, arrived) for session_id, registered, arrived in rows}
    return [
        SessionCount(s, found.get(s.id, (0, 0))[1], found.get(s.id, (0, 0))[0]) for s in sessions
    ]


@dataclass
class SessionAttendee:
    registration: Registration
    attended_at: datetime | None


def session_attendees(session: Session, search: str | None = None) -> list[SessionAttendee]:
    """The confirmed people who chose the session, first registered first, with when they
    arrived; `search` narrows to a name, address or organisation (as the event's list)."""
    filters = RegistrationFilters(status="confirmed", search=(search or "").strip()[:100] or None)
    query = (
        registrations_query(session.event, filters)
        .join(registration_session, registration_session.c.registration_id == Registration.id)
        .where(registration_session.c.session_id == session.id)
        .add_columns(registration_session.c.attended_at)
    )
    return [SessionAttendee(r, at) for r, at in db.session.execute(query).all()]


@write_transaction()
def check_in_session(
    registration: Registration, session: Session, attended: bool = True
) -> datetime | None:
    """Check the person in to one session (or undo it); returns when they arrived, or None.

    Only a confirmed person who chose the session, and only for a session that keeps its own
    attendance: anything else is refused (Conflict, 409) with the reason. Checking in to a
    session also checks the person in to the event when that was not done yet (they are
    there); undoing a session leaves the event's check-in alone. A second check-in keeps the
    first time."""
    registration = db.session.get(Registration, registration.id, populate_existing=True)
    session = db.session.get(Session, session.id, populate_existing=True)
    if session is None or registration is None or session.event_id != registration.event_id:
        raise NotFound(_l("There is no such session."))
    if not session.track_attendance:
        raise Conflict(_l("This session does not keep its own attendance."), code="not_tracked")
    row = (registration_session.c.registration_id == registration.id) & (
        registration_session.c.session_id == session.id
    )
    chose = db.session.scalar(
        sa.select(sa.func.count()).select_from(registration_session).where(row)
    )
    if not chose:
        raise Conflict(_l("This person is not registered for this session."), code="not_in_session")
    if attended and registration.status != "confirmed":
        raise Conflict(_l("Only a confirmed registration can be checked in."), code="not_confirmed")
    now = utcnow()
    if attended:
        db.session.execute(
            sa.update(registration_session)
            .where(row, registration_session.c.attended_at.is_(None))
            .values(attended_at=now)
        )
        if registration.attended_at is None:
            registration.attended_at = now
    else:
        db.session.execute(sa.update(registration_session).where(row).values(attended_at=None))
    record(
        "checked_in" if attended else "check_in_undone",
        event_id=registration.event_id,
        subject=f"registration:{registration.id}",
        detail={"session": session.id},
    )
    db.session.commit()
    return db.session.scalar(sa.select(registration_session.c.attended_at).where(row))
