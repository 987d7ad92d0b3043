"""Registering: parse the form, register, cancel, change sessions, check in; and how
participants react when an event changes (events' signals).

The seats themselves (the lock, what is taken, why a seat is refused, promotion from the
waiting list) live in participants.seats; lists and counts in participants.queries; messages
to registrants in participants.mailings. Imports point down: services -> seats, queries,
emails -> models -> core; events never imports participants (it sends signals we listen to).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.db import db, read_prepared, utcnow, write_transaction
from core.errors import Conflict, ValidationError
from core.outbox import outbox_insert
from core.prepared import Prepared, run_together
from events.models import Event
from events.records import EventRecord, column_values
from participants import emails
from participants.models import (
    ACTIVE,
    Organisation,
    Registered,
    Registration,
    registration_session,
)
from participants.organisations import LIVE_ID, organisation_id_for_key
from participants.parsing import RegistrationInput, parse_registration, parse_sessions
from participants.seats import (
    FULL_MESSAGES,
    apply,
    count_statements,
    full_reason,
    lock_event,
    lock_seats,
    promote_from_waitlist,
    shift,
    taken_seats,
    waitlist_position,
)
from participants.window import (
    STATE_MESSAGES,
    EventCancelled,
    RegistrationClosed,
    ensure_open,
    registration_state,
)


class AlreadyRegistered(Conflict):
    code = "already_registered"


# --- registering -------------------------------------------------------------------------------


def _organisation_key(data: RegistrationInput) -> str:
    return data.org_number or f"name:{data.country}:{data.organisation_name.casefold()}"


def _add_organisation(data: RegistrationInput) -> int:
    """Insert the organisation in a short transaction of its own, before the event's lock (it
    decides no seat); another registration may insert it first."""
    key = _organisation_key(data)
    with write_transaction():
        organisation = Organisation(
            key=key, name=data.organisation_name, org_number=data.org_number, country=data.country
        )
        db.session.add(organisation)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return organisation_id_for_key(key)
        return organisation.id


def _active_registration_query(event_id: int, email: str) -> sa.Select:
    return sa.select(Registration).where(
        Registration.event_id == event_id,
        Registration.email == email,
        ACTIVE,
    )


def _active_registration(event_id: int, email: str) -> Registration | None:
    return db.session.scalar(_active_registration_query(event_id, email))


_registration = Registration.__table__
_LOOKUPS = (
    # a merged record's key leads to its survivor (participants.organisations)
    sa.select(LIVE_ID)
    .where(Organisation.__table__.c.key == sa.bindparam("p_key"))
    .scalar_subquery(),
    sa.select(_registration.c.id)
    .where(
        _registration.c.event_id == sa.bindparam("p_event"),
        _registration.c.email == sa.bindparam("p_email"),
        ACTIVE,
    )
    .scalar_subquery(),
)
_BEFORE_THE_LOCK = Prepared(sa.select(*_LOOKUPS))
# On PostgreSQL also the new registration's id, so that its row, the counts and the outbox row
# go to the server together under the lock (an id not used is a gap in the sequence).
_BEFORE_THE_LOCK_WITH_ID = Prepared(
    sa.select(*_LOOKUPS, sa.literal_column("nextval('registration_id_seq')"))
)


def _before_the_lock(
    event_id: int, data: RegistrationInput
) -> tuple[int | None, int | None, int | None]:
    """(the organisation's id, the id of this address's active registration, on PostgreSQL the
    new registration's id), each None when there is none: in one statement, before the
    event's lock."""
    params = {"p_key": _organisation_key(data), "p_event": event_id, "p_email": data.email}
    if db.engine.dialect.name == "postgresql":
        row = read_prepared(_BEFORE_THE_LOCK_WITH_ID, params)[0]  # autocommit: no transaction
        return row[0], row[1], row[2]
    row = read_prepared(_BEFORE_THE_LOCK, params)[0]
    return row[0], row[1], None


# Asking again with a registered address sends the manage link at most this often, so that
# nobody can fill a registrant's inbox; the answer is the same whether it was sent or not.
MANAGE_LINK_INTERVAL = timedelta(minutes=10)


def _claim_manage_link_resend(registration_id: int) -> bool:
    """Take the right to send the manage link now; False when it went out less than
    MANAGE_LINK_INTERVAL ago. One conditional UPDATE, so of concurrent attempts exactly one
    wins on either database (PostgreSQL re-checks the condition once the row is free)."""
    now = utcnow()
    result = db.session.execute(
        sa.update(Registration)
        .where(
            Registration.id == registration_id,
            sa.or_(
                Registration.manage_link_sent_at.is_(None),
                Registration.manage_link_sent_at <= now - MANAGE_LINK_INTERVAL,
            ),
        )
        .values(manage_link_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _already_registered(existing: Registration) -> AlreadyRegistered:
    """Send the manage link again (at most once per MANAGE_LINK_INTERVAL); say nothing more
    about the earlier registration."""
    if _claim_manage_link_resend(existing.id):
        emails.manage_link(existing)
    db.session.commit()
    return AlreadyRegistered(
        _l(
            "This email is already registered for the event. We have sent the link to "
            "your registration to it again."
        ),
        {"email": _l("Already registered for this event.")},
    )


_REGISTRATION_COLUMNS = [
    "event_id", "organisation_id", "token", "name", "email", "target_group", "role", "language",
    "needs", "consent_future_invitations", "status", "added_by_organiser", "created_at",
]  # fmt: skip
_INSERT_REGISTRATION = Prepared(
    sa.insert(Registration.__table__).returning(Registration.__table__.c.id),
    column_keys=_REGISTRATION_COLUMNS,
)
_INSERT_REGISTRATION_WITH_ID = Prepared(
    sa.insert(Registration.__table__), column_keys=["id", *_REGISTRATION_COLUMNS]
)
_INSERT_SESSION = Prepared(sa.insert(registration_session))


def register(
    event: Event | EventRecord, data: Mapping[str, Any], *, by_organiser: bool = False
) -> Registered:
    """Register a person: confirmed when there is room, otherwise waitlisted.

    An organiser adding someone by hand (a speaker, say) is not bound by the registration
    window or the admitted target groups, but is bound by the seats.

    Only what decides a seat runs under the event's lock. Before it: parsing, the
    organisation (looked up, or inserted in a transaction of its own) and the check for an
    address already registered. Under it: the lock with the event's row (whose UPDATE also
    counts the event's seat, given back when the decision is the waiting list), the kept
    counts of the person's group and sessions, the decision, the inserts, the counts changed,
    the outbox row, the commit; each a core.prepared.Prepared statement run on the driver's cursor.
    The reads before the lock run in autocommit on the thread's own connection (no BEGIN or
    COMMIT). On PostgreSQL the event and its agenda are read in one round trip, the new id is
    taken with the look-ups, the lock and the counts go in one round trip, and a confirmed
    registration's row, sessions, counts, outbox row and COMMIT in another (a waitlisted row
    takes its id under the lock: the waiting list goes by id). The unique index on active
    addresses catches a twin that got in between the check and the lock."""
    # A closed form says so before it asks for any field to be corrected.
    if event.status == "cancelled":
        raise EventCancelled(STATE_MESSAGES["cancelled"])
    if not by_organiser:
        ensure_open(event)
    parsed = parse_registration(event, data, any_group=by_organiser)
    event_id = event.id
    organisation_id, existing_id, new_id = _before_the_lock(event_id, parsed)
    if existing_id is not None:
        with write_transaction():
            raise _already_registered(db.session.get(Registration, existing_id))
    token = secrets.token_urlsafe(24)
    if organisation_id is None:
        organisation_id = _add_organisation(parsed)
    before = column_values(event)  # read now: write_transaction() expires loaded objects
    with write_transaction():
        # the event's seat is counted by the lock itself, and given back below if need be
        locked = lock_seats(before, parsed.target_group, parsed.session_ids, seat=1)
        if locked.status == "cancelled":
            raise EventCancelled(STATE_MESSAGES["cancelled"])
        if not by_organiser:
            ensure_open(locked)
        if len(locked.sessions) != len(parsed.session_ids):  # one was deleted meanwhile
            raise ValidationError({"sessions": _l("Choose sessions from the event's agenda.")})
        reason = full_reason(locked, taken_seats(locked), parsed.target_group, locked.sessions)
        status = "waitlisted" if reason else "confirmed"
        connection = db.session.connection()
        values = {
            "event_id": event_id,
            "organisation_id": organisation_id,
            "token": token,
            "name": parsed.name,
            "email": parsed.email,
            "target_group": parsed.target_group,
            "role": parsed.role,
            "language": parsed.language,
            "needs": parsed.needs,
            "consent_future_invitations": parsed.consent_future_invitations,
            "status": status,
            "added_by_organiser": by_organiser,
            "created_at": utcnow(),
        }

        def registered_as(registration_id: int) -> Registered:
            return Registered(
                id=registration_id,
                token=token,
                status=status,
                name=parsed.name,
                email=parsed.email,
                language=parsed.language,
                target_group=parsed.target_group,
                event=locked.with_agenda(event.target_groups, event.sessions),
                sessions=locked.sessions,
                full_reason=reason,
            )

        def chosen_sessions(registration_id: int) -> list[tuple[Prepared, dict[str, Any]]]:
            return [
                (_INSERT_SESSION, {"registration_id": registration_id, "session_id": i})
                for i in parsed.session_ids
            ]

        counts = count_statements(  # the group's and the sessions'; the event's is taken
            event_id,
            +1,
            {parsed.target_group: +1} if locked.target_groups else {},
            {session_id: +1 for session_id in parsed.session_ids},
            event_row=False,
        )
        try:
            if new_id is not None and status == "confirmed":
                # PostgreSQL: the row, its sessions, the counts and the confirmation's outbox
                # row in one round trip (the id was taken before the lock)
                registered = registered_as(new_id)
                run_together(
                    connection,
                    [
                        (_INSERT_REGISTRATION_WITH_ID, {"id": new_id, **values}),
                        *chosen_sessions(new_id),
                        *counts,
                        outbox_insert(**emails.confirmed_message(registered)),
                    ],
                    commit=not by_organiser,  # the audit entry below goes in the transaction
                )
            else:
                # the waiting list is first come, first served by id: a waitlisted row takes
                # its id here, under the lock (one taken before it could be passed meanwhile)
                registration_id = _INSERT_REGISTRATION.run(connection, values)[0][0]
                registered = registered_as(registration_id)
                run_together(
                    connection,
                    [
                        *chosen_sessions(registration_id),
                        *(counts if status == "confirmed" else count_statements(event_id, -1)),
                    ],
                )
                if status == "confirmed":
                    emails.confirmed(registered)
                else:
                    registered.waitlist_position = waitlist_position(registered)
                    emails.waitlisted(registered, registered.waitlist_position)
        except IntegrityError:  # the unique index: a twin registered since the check
            db.session.rollback()
            existing = _active_registration(event_id, parsed.email)
            if existing is None:
                raise
            raise _already_registered(existing) from None
        registration_id = registered.id
        if by_organiser:  # the audit log, written with the registration or not at all
            record(
                "registration_added",
                event_id=event_id,
                subject=f"registration:{registration_id}",
                detail={"status": status},
            )
        db.session.commit()
    if isinstance(event, Event):  # the counts changed in the database alone: read them again
        db.session.expire(event, ["confirmed_count", "version"])
        for row in (*event.target_groups, *event.sessions):
            db.session.expire(row, ["confirmed_count"])
    return registered


def cancel(registration: Registration, *, by_organiser: bool = False) -> Registration:
    """Free the seat at once and promote whoever now fits."""
    with write_transaction():
        event = lock_event(registration.event_id)
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration.status == "cancelled":
            return registration
        if registration.status == "confirmed":
            apply(event, registration, -1)
        was = registration.status
        registration.status = "cancelled"
        registration.cancelled_at = utcnow()
        emails.cancelled(registration, by_organiser=by_organiser)
        if by_organiser:
            record(
                "registration_cancelled",
                event_id=registration.event_id,
                subject=f"registration:{registration.id}",
                detail={"was": was},
            )
        db.session.flush()
        promote_from_waitlist(event)
        db.session.commit()
    return registration


def change_sessions(
    registration: Registration, session_ids: list[Any], *, by_organiser: bool = False
) -> Registration:
    """Choose other sessions. A confirmed person keeps their seat only if the new sessions have
    room (else nothing changes and the full session is named); a waitlisted person may become
    confirmed by choosing sessions that have room. An organiser's change is in the audit log."""
    if registration.status == "cancelled":
        raise ValidationError({"sessions": _l("This registration is cancelled.")})
    with write_transaction():
        event = lock_event(registration.event_id)
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration.status == "cancelled":
            raise ValidationError({"sessions": _l("This registration is cancelled.")})
        if registration_state(event) in ("started", "cancelled"):
            raise RegistrationClosed(STATE_MESSAGES[registration_state(event)])
        errors: dict[str, Any] = {}
        chosen_ids = parse_sessions(event, session_ids, errors)
        if errors:
            raise ValidationError(errors)
        new_sessions = [s for s in event.sessions if s.id in chosen_ids]
        added = [s for s in new_sessions if s not in registration.sessions]
        left = [s for s in registration.sessions if s not in new_sessions]
        if registration.status == "confirmed":
            taken = taken_seats(event)
            for session in added:
                if taken.session_full(session):
                    raise ValidationError(
                        {"sessions": _l("%(title)s is full.", title=session.title)}
                    )
            if added or left:
                shift(event, sessions={s.id: -1 for s in left} | {s.id: +1 for s in added})
        registration.sessions = new_sessions
        db.session.flush()
        promote_from_waitlist(event)
        if by_organiser:
            record(
                "registration_edited",
                event_id=registration.event_id,
                subject=f"registration:{registration.id}",
                detail={"fields": ["sessions"], "added": len(added), "left": len(left)},
            )
        db.session.commit()
    return registration


def confirm_from_waitlist(registration: Registration) -> Registration:
    """An organiser moves someone off the waiting list; only into a seat that exists."""
    with write_transaction():
        event = lock_event(registration.event_id)
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration.status != "waitlisted":
            raise ValidationError({"status": _l("This person is not on the waiting list.")})
        reason = full_reason(
            event, taken_seats(event), registration.target_group, registration.sessions
        )
        if reason:
            raise Conflict(
                FULL_MESSAGES[reason]
                + " "
                + str(_l("Raise the capacity or quota first, or cancel someone's registration.")),
                code="no_free_seat",
            )
        registration.status = "confirmed"
        apply(event, registration, +1)
        emails.promoted(registration)
        record(
            "registration_edited",
            event_id=registration.event_id,
            subject=f"registration:{registration.id}",
            detail={"fields": ["status"], "status": "confirmed"},
        )
        db.session.commit()
    return registration


@write_transaction()
def check_in(registration: Registration, attended: bool = True) -> Registration:
    """Mark attended at the door (or undo it). Only a confirmed registration can attend."""
    if attended and registration.status != "confirmed":
        raise ValidationError({"status": _l("Only a confirmed registration can be checked in.")})
    registration.attended_at = (registration.attended_at or utcnow()) if attended else None
    record(
        "checked_in" if attended else "check_in_undone",
        event_id=registration.event_id,
        subject=f"registration:{registration.id}",
    )
    db.session.commit()
    return registration


# --- what a person may do with their registration ----------------------------------------------


def may_change_sessions(registration: Registration) -> bool:
    """Whether the person may choose other sessions now: the event has an agenda, the
    registration is not cancelled, and the event has neither started nor been cancelled.
    change_sessions() refuses the same cases with a message."""
    event = registration.event
    return (
        bool(event.sessions)
        and registration.status != "cancelled"
        and registration_state(event) not in ("started", "cancelled")
    )
