"""The rules for registrations: who gets a seat, the waiting list, cancelling, check-in.

No one may get a seat that does not exist. Every change that counts seats runs in one write
transaction: the event row is locked (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on
SQLite), the counts are read again, and only then is the row written (pretix's "lock, re-check,
insert"). A registration is confirmed when the event, the person's target-group quota and every
chosen session have room; otherwise it is waitlisted as a whole, and the first waitlisted person
who fits is promoted as soon as a seat frees up.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.addresses import InvalidEmail, normalise_email
from core.db import db, utcnow, write_transaction
from core.errors import Conflict, NotFound, ServiceError, ValidationError
from core.identifiers import COUNTRIES, InvalidOrgNumber, normalise_org_number
from events.models import LANGUAGES, Event, Session
from events.services import event_cancelled, event_rescheduled, seats_added
from participants import emails
from participants.models import Organisation, Registration, registration_session


class RegistrationClosed(ServiceError):
    status = 409
    code = "registration_closed"


class EventCancelled(ServiceError):
    status = 409
    code = "event_cancelled"


class AlreadyRegistered(Conflict):
    code = "already_registered"


# --- the registration window -------------------------------------------------------------------


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


def _ensure_open(event: Event) -> None:
    state = registration_state(event)
    if state == "open":
        return
    error = EventCancelled if state == "cancelled" else RegistrationClosed
    raise error(STATE_MESSAGES[state])


# --- input -------------------------------------------------------------------------------------


@dataclass
class RegistrationInput:
    name: str
    email: str
    organisation_name: str
    org_number: str | None
    country: str
    target_group: str
    role: str
    language: str
    session_ids: list[int]
    needs: str
    consent_future_invitations: bool


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _parse_sessions(event: Event, raw: Any, errors: dict[str, Any]) -> list[int]:
    """Session ids from the event's agenda, none of them at the same time as another."""
    raw = raw or []
    valid = {s.id: s for s in event.sessions}
    ids: list[int] = []
    if not isinstance(raw, list):
        raw = [None]
    for value in raw:
        try:
            session_id = int(value)
        except (TypeError, ValueError):
            session_id = -1
        if session_id not in valid:
            errors["sessions"] = _l("Choose sessions from the event's agenda.")
            return []
        if session_id not in ids:
            ids.append(session_id)
    chosen = sorted((valid[i] for i in ids), key=lambda s: s.starts_at)
    for a, b in zip(chosen, chosen[1:], strict=False):
        if b.starts_at < a.ends_at:
            errors["sessions"] = _l(
                "%(a)s and %(b)s take place at the same time; choose one.", a=a.title, b=b.title
            )
    return ids


def parse_registration(event: Event, data: Mapping[str, Any], *, any_group: bool = False):
    """Check the input against the event; ValidationError names each bad field as the API
    does (name, email, organisation, org_number, country, target_group, role, language,
    sessions, needs)."""
    if not isinstance(data, Mapping):
        raise ValidationError({"": _l("Expected an object.")})
    errors: dict[str, Any] = {}
    organisation = data.get("organisation") or {}
    if not isinstance(organisation, Mapping):
        errors["organisation"] = _l("Give the organisation's name, number and country.")
        organisation = {}

    name = _str(data.get("name"))
    if not name:
        errors["name"] = _l("Enter your name.")
    elif len(name) > 200:
        errors["name"] = _l("At most %(n)s characters.", n=200)

    email = _str(data.get("email"))
    try:
        email = normalise_email(email)  # NFKC, lower case: a full-width copy is the same
    except InvalidEmail as err:
        errors["email"] = err.args[0]

    org_name = _str(organisation.get("name"))
    if not org_name:
        errors["organisation"] = _l("Enter your organisation's name.")
    elif len(org_name) > 200:
        errors["organisation"] = _l("At most %(n)s characters.", n=200)

    country = _str(organisation.get("country")) or "SE"
    if country not in COUNTRIES:
        errors["country"] = _l("Choose Sweden, Finland or another country.")
    org_number = None
    try:
        org_number = normalise_org_number(_str(organisation.get("org_number")), country)
    except InvalidOrgNumber as err:
        errors["org_number"] = err.args[0]

    target_group = data.get("target_group")
    allowed = event.target_group_codes
    if any_group:
        from events.models import TARGET_GROUPS

        allowed = list(TARGET_GROUPS)
    if target_group not in allowed:
        errors["target_group"] = _l("Choose one of the target groups this event is for.")

    role = _str(data.get("role"))
    if len(role) > 200:
        errors["role"] = _l("At most %(n)s characters.", n=200)
    language = data.get("language") or event.language
    if language not in LANGUAGES:
        errors["language"] = _l("Choose Swedish, English or Finnish.")

    session_ids = _parse_sessions(event, data.get("sessions"), errors)

    needs = _str(data.get("needs"))
    if len(needs) > 2000:
        errors["needs"] = _l("At most %(n)s characters.", n=2000)
    consent = data.get("consent_future_invitations", False)
    if not isinstance(consent, bool):
        consent = str(consent).lower() in ("1", "true", "on", "yes", "y")

    if errors:
        raise ValidationError(errors)
    return RegistrationInput(
        name=name,
        email=email,
        organisation_name=org_name,
        org_number=org_number,
        country=country,
        target_group=target_group,
        role=role,
        language=language,
        session_ids=session_ids,
        needs=needs,
        consent_future_invitations=consent,
    )


# --- seats -------------------------------------------------------------------------------------


def _lock_event(event_id: int) -> Event:
    """Take the event's lock for this transaction and read it afresh."""
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
    for session in sessions:
        if session.capacity is not None and taken.by_session.get(session.id, 0) >= session.capacity:
            return "session"
    return None


def _occupy(taken: Taken, registration: Registration) -> None:
    taken.total += 1
    group = registration.target_group
    taken.by_group[group] = taken.by_group.get(group, 0) + 1
    for session in registration.sessions:
        taken.by_session[session.id] = taken.by_session.get(session.id, 0) + 1


def _release(taken: Taken, registration: Registration) -> None:
    taken.total -= 1
    taken.by_group[registration.target_group] -= 1
    for session in registration.sessions:
        taken.by_session[session.id] -= 1


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
            _occupy(taken, registration)
            emails.promoted(registration)
            promoted.append(registration)
    return promoted


# --- registering -------------------------------------------------------------------------------


def _organisation(data: RegistrationInput) -> Organisation:
    key = data.org_number or f"name:{data.country}:{data.organisation_name.casefold()}"
    found = db.session.scalar(sa.select(Organisation).where(Organisation.key == key))
    if found:
        return found
    organisation = Organisation(
        key=key, name=data.organisation_name, org_number=data.org_number, country=data.country
    )
    try:
        with db.session.begin_nested():  # another event's registration may insert it first
            db.session.add(organisation)
    except IntegrityError:
        return db.session.scalar(sa.select(Organisation).where(Organisation.key == key))
    return organisation


def _active_registration(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id,
            Registration.email == email,
            Registration.status != "cancelled",
        )
    )


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


def register(event: Event, data: Mapping[str, Any], *, by_organiser: bool = False) -> Registration:
    """Register a person: confirmed when there is room, otherwise waitlisted.

    An organiser adding someone by hand (a speaker, say) is not bound by the registration
    window or the admitted target groups, but is bound by the seats."""
    # A closed form says so before it asks for any field to be corrected.
    if event.status == "cancelled":
        raise EventCancelled(STATE_MESSAGES["cancelled"])
    if not by_organiser:
        _ensure_open(event)
    parsed = parse_registration(event, data, any_group=by_organiser)
    token = secrets.token_urlsafe(24)
    chosen = [s for s in event.sessions if s.id in parsed.session_ids]
    # The calendar file is the slowest part of registering: build it before taking the lock
    # when a seat looks free (it is rebuilt under the lock if the event changed meanwhile).
    invitation = None
    if full_reason(event, taken_seats(event), parsed.target_group, chosen) is None:
        invitation = emails.prepare_invitation(
            event, token, parsed.name, parsed.email, chosen, parsed.language
        )
    with write_transaction():
        event = _lock_event(event.id)
        if event.status == "cancelled":
            raise EventCancelled(STATE_MESSAGES["cancelled"])
        if not by_organiser:
            _ensure_open(event)
        existing = _active_registration(event, parsed.email)
        if existing:
            raise _already_registered(existing)
        sessions = [s for s in event.sessions if s.id in parsed.session_ids]
        reason = full_reason(event, taken_seats(event), parsed.target_group, sessions)
        registration = Registration(
            event=event,
            organisation=_organisation(parsed),
            token=token,
            name=parsed.name,
            email=parsed.email,
            target_group=parsed.target_group,
            role=parsed.role,
            language=parsed.language,
            needs=parsed.needs,
            consent_future_invitations=parsed.consent_future_invitations,
            status="waitlisted" if reason else "confirmed",
            added_by_organiser=by_organiser,
            sessions=sessions,
        )
        db.session.add(registration)
        try:
            db.session.flush()
        except IntegrityError:  # the unique index: a racing twin got there first
            db.session.rollback()
            existing = _active_registration(event, parsed.email)
            if existing is None:
                raise
            raise _already_registered(existing) from None
        registration.full_reason = reason
        if registration.status == "confirmed":
            emails.confirmed(registration, invitation)
        else:
            emails.waitlisted(registration)
        db.session.commit()
    return registration


def get_registration(token: str) -> Registration:
    registration = db.session.scalar(sa.select(Registration).where(Registration.token == token))
    if registration is None:
        raise NotFound(_l("There is no registration with this link."))
    return registration


def cancel(registration: Registration, *, by_organiser: bool = False) -> Registration:
    """Free the seat at once and promote whoever now fits."""
    with write_transaction():
        event = _lock_event(registration.event_id)
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration.status == "cancelled":
            return registration
        registration.status = "cancelled"
        registration.cancelled_at = utcnow()
        emails.cancelled(registration, by_organiser=by_organiser)
        db.session.flush()
        promote_from_waitlist(event)
        db.session.commit()
    return registration


def change_sessions(registration: Registration, session_ids: list[Any]) -> Registration:
    """Choose other sessions. A confirmed person keeps their seat only if the new sessions have
    room (else nothing changes and the full session is named); a waitlisted person may become
    confirmed by choosing sessions that have room."""
    if registration.status == "cancelled":
        raise ValidationError({"sessions": _l("This registration is cancelled.")})
    with write_transaction():
        event = _lock_event(registration.event_id)
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration.status == "cancelled":
            raise ValidationError({"sessions": _l("This registration is cancelled.")})
        if registration_state(event) in ("started", "cancelled"):
            raise RegistrationClosed(STATE_MESSAGES[registration_state(event)])
        errors: dict[str, Any] = {}
        chosen_ids = _parse_sessions(event, session_ids, errors)
        if errors:
            raise ValidationError(errors)
        new_sessions = [s for s in event.sessions if s.id in chosen_ids]
        if registration.status == "confirmed":
            taken = taken_seats(event)
            _release(taken, registration)
            added = [s for s in new_sessions if s not in registration.sessions]
            for session in added:
                if (
                    session.capacity is not None
                    and taken.by_session.get(session.id, 0) >= session.capacity
                ):
                    raise ValidationError(
                        {"sessions": _l("%(title)s is full.", title=session.title)}
                    )
        registration.sessions = new_sessions
        db.session.flush()
        promote_from_waitlist(event)
        db.session.commit()
    return registration


def confirm_from_waitlist(registration: Registration) -> Registration:
    """An organiser moves someone off the waiting list; only into a seat that exists."""
    with write_transaction():
        event = _lock_event(registration.event_id)
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
        emails.promoted(registration)
        db.session.commit()
    return registration


FULL_MESSAGES = {
    "event": _l("The event is full."),
    "quota": _l("The places for your target group are taken."),
    "session": _l("A session you chose is full."),
}


@write_transaction()
def check_in(registration: Registration, attended: bool = True) -> Registration:
    """Mark attended at the door (or undo it). Only a confirmed registration can attend."""
    if attended and registration.status != "confirmed":
        raise ValidationError({"status": _l("Only a confirmed registration can be checked in.")})
    registration.attended_at = (registration.attended_at or utcnow()) if attended else None
    db.session.commit()
    return registration


# --- what organisers see -----------------------------------------------------------------------


@dataclass
class RegistrationFilters:
    status: str | None = None
    target_group: str | None = None
    attended: bool | None = None
    search: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> RegistrationFilters:
        from events.models import TARGET_GROUPS
        from participants.models import REGISTRATION_STATUSES

        attended = {"yes": True, "no": False}.get(args.get("attended") or "")
        return cls(
            status=args.get("status") if args.get("status") in REGISTRATION_STATUSES else None,
            target_group=args.get("target_group")
            if args.get("target_group") in TARGET_GROUPS
            else None,
            attended=attended,
            search=(args.get("q") or "").strip()[:100] or None,
        )


def registrations_query(event: Event, filters: RegistrationFilters | None = None) -> sa.Select:
    f = filters or RegistrationFilters()
    query = (
        sa.select(Registration)
        .join(Organisation)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.sessions), selectinload(Registration.organisation))
        .order_by(Registration.id)
    )
    if f.status:
        query = query.where(Registration.status == f.status)
    if f.target_group:
        query = query.where(Registration.target_group == f.target_group)
    if f.attended is True:
        query = query.where(Registration.attended_at.is_not(None))
    elif f.attended is False:
        query = query.where(Registration.attended_at.is_(None))
    if f.search:
        pattern = f"%{f.search.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Registration.name).like(pattern),
                sa.func.lower(Registration.email).like(pattern),
                sa.func.lower(Organisation.name).like(pattern),
            )
        )
    return query


def list_registrations(
    event: Event, filters: RegistrationFilters | None = None
) -> list[Registration]:
    return list(db.session.scalars(registrations_query(event, filters)))


@dataclass
class Counts:
    by_status: dict[str, int]
    by_group: dict[str, dict[str, int]]  # target group -> status -> count
    attended: int


def counts(event: Event) -> Counts:
    rows = db.session.execute(
        sa.select(Registration.target_group, Registration.status, sa.func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.target_group, Registration.status)
    ).all()
    by_status = {"confirmed": 0, "waitlisted": 0, "cancelled": 0}
    by_group: dict[str, dict[str, int]] = {}
    for group, status, n in rows:
        by_status[status] += n
        by_group.setdefault(group, {"confirmed": 0, "waitlisted": 0, "cancelled": 0})[status] = n
    attended = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == event.id, Registration.attended_at.is_not(None)
        )
    )
    return Counts(by_status, by_group, attended or 0)


def status_counts(event: Event) -> dict[str, int]:
    """Registrations of the event by status, in one query."""
    counted = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    return {status: counted.get(status, 0) for status in ("confirmed", "waitlisted", "cancelled")}


def seats_left(event: Event) -> int | None:
    """Free seats in the event as a whole; None when it has no limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - taken_seats(event).total)


# --- reacting to changes of the event ----------------------------------------------------------


def _active(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status != "cancelled")
            .order_by(Registration.id)
        )
    )


@event_rescheduled.connect
def _tell_of_change(event: Event) -> None:
    for registration in _active(event):
        emails.event_changed(registration)


@event_cancelled.connect
def _tell_of_cancellation(event: Event) -> None:
    for registration in _active(event):
        emails.event_cancelled(registration)


@seats_added.connect
def _promote_after_raise(event: Event) -> None:
    # update_event() already holds a write transaction on the event row.
    _lock_event(event.id)
    promote_from_waitlist(event)


# --- for the registration pages (participants/views.py) ----------------------------------------


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


def waitlist_positions(event: Event) -> dict[int, int]:
    """Registration id -> place in the queue, for every waitlisted person of the event."""
    ids = db.session.scalars(
        sa.select(Registration.id)
        .where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.id)
    )
    return {registration_id: n for n, registration_id in enumerate(ids, start=1)}


def session_places_left(event: Event) -> dict[int, int | None]:
    """Session id -> free places of its own (None when the session has no limit)."""
    taken = taken_seats(event).by_session
    return {
        s.id: None if s.capacity is None else max(0, s.capacity - taken.get(s.id, 0))
        for s in event.sessions
    }


def get_event_registration(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound(_l("There is no such registration for this event."))
    return registration


@dataclass
class NeedsSummary:
    """What a caterer may see: counts among confirmed people, never who they are."""

    confirmed: int
    with_needs: int
    needs: list[tuple[str, int]]  # (the text as first written, how many wrote it), most first


def needs_summary(event: Event) -> NeedsSummary:
    """Identical needs texts (ignoring case and spacing) counted together."""
    texts = db.session.scalars(
        sa.select(Registration.needs)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .order_by(Registration.id)
    ).all()
    groups: dict[str, list[Any]] = {}
    for text in texts:
        shown = " ".join((text or "").split())
        if shown:
            groups.setdefault(shown.casefold(), [shown, 0])[1] += 1
    needs = sorted(((shown, n) for shown, n in groups.values()), key=lambda x: (-x[1], x[0]))
    return NeedsSummary(len(texts), sum(n for _shown, n in needs), needs)


def message_recipients(event: Event, filters: RegistrationFilters) -> list[Registration]:
    """Who a message to registrants goes to: the filtered registrations, leaving out cancelled
    ones unless cancelled people are asked for; one message per email address."""
    query = registrations_query(event, filters)
    if not filters.status:
        query = query.where(Registration.status != "cancelled")
    chosen: dict[str, Registration] = {}
    for registration in db.session.scalars(query):
        chosen[registration.email] = registration  # the latest registration of an address
    return list(chosen.values())


def message_registrants(event: Event, filters: RegistrationFilters, subject: str, body: str) -> int:
    """Queue one email to each recipient (see message_recipients); returns how many."""
    from core.outbox import queue_email
    from core.urls import external_url

    subject = " ".join((subject or "").split())
    body = (body or "").strip()
    errors: dict[str, Any] = {}
    if not subject:
        errors["subject"] = _l("Enter a subject.")
    elif len(subject) > 200:
        errors["subject"] = _l("At most %(n)s characters.", n=200)
    if not body:
        errors["body"] = _l("Enter the text of the message.")
    elif len(body) > 20000:
        errors["body"] = _l("At most %(n)s characters.", n=20000)
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        recipients = message_recipients(event, filters)
        for registration in recipients:
            queue_email(
                registration.email,
                "bulk_message",
                registration.language,
                subject,
                body=body,
                registration=registration,
                event=event,
                manage_url=external_url("participants.manage", token=registration.token),
            )
        db.session.commit()
    return len(recipients)


@write_transaction()
def erase_needs_of_past_events(now: datetime | None = None) -> int:
    """Dietary and accessibility needs may reveal health or religion: once an event has ended
    they are deleted (caterers only ever got counts). Returns how many were erased."""
    ended = sa.select(Event.id).where(Event.ends_at < (now or utcnow()))
    result = db.session.execute(
        sa.update(Registration)
        .where(Registration.event_id.in_(ended), Registration.needs != "")
        .values(needs="")
    )
    db.session.commit()
    return result.rowcount
