"""The registrations part of JSON API v1.

Public (no account, rate-limited with RATELIMIT_PUBLIC):
- ``POST /api/v1/events/<slug>/registrations`` registers a person: 201 with the token, the
  status (confirmed or waitlisted), the waitlist position and the manage link.
- ``GET /api/v1/registrations/<token>`` reads a registration; ``DELETE`` cancels it and answers
  200 with the same shape (status ``cancelled``), so a client sees the result without a second
  request; ``PATCH`` with ``{"sessions": [...]}`` chooses other sessions.

Organisers (``Authorization: Bearer <token>``, for events they manage):
- ``GET /api/v1/events/<slug>/registrations`` lists registrations (``?status=``,
  ``?target_group=``) with counts;
- ``POST /api/v1/registrations/<token>/check-in`` marks attended (``{"attended": false}``
  undoes it);
- ``POST /api/v1/events/<slug>/mailings`` sends a message to registrants now or schedules it
  (participants.mailings); ``GET`` lists the event's messages.
- ``POST /api/v1/registrations/<token>/sessions/<session_id>/check-in`` the same for one
  session that keeps its own attendance (409 when it does not, or the person did not choose
  it, or has no place).
- ``PATCH /api/v1/events/<slug>/registrations/<id>`` corrects a person's details (only the
  fields given; never the address).

The rules are in participants.services; what the API takes and answers is declared in
participants/schemas.py; this module reads the request, calls the services and builds the
answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g
from flask_babel import lazy_gettext as _l

from core.audit import record_now
from core.errors import ValidationError
from core.extensions import limiter, public_limit
from core.operations import Reply, describe_path_parameter, operation, reply
from events.queries import get_managed_event, require_manage
from events.records import public_event_record
from events.schemas import at, event_summary
from participants import attendance, details, mailings, queries, schemas, seats, services
from participants.emails import manage_url
from participants.models import Mailing, Registration

bp = Blueprint("participants_api", __name__, url_prefix="/api/v1")

describe_path_parameter(
    "session_id", "A session of the registration's event.", type="integer", minimum=1
)
describe_path_parameter(
    "token", "The secret of the registration's manage link.", type="string",
    pattern="^[A-Za-z0-9_-]+$",
)  # fmt: skip


# --- serialising -----------------------------------------------------------------------------


def _sessions(registration: Registration) -> list[schemas.SessionRef]:
    return [schemas.SessionRef(id=s.id, title=s.title) for s in registration.sessions]


def _view_fields(registration: Registration) -> dict[str, Any]:
    return {
        "status": registration.status,
        "waitlist_position": seats.waitlist_position(registration),
        "event": event_summary(registration.event),
        "sessions": _sessions(registration),
        "manage_url": manage_url(registration),
    }


def registration_view(registration: Registration) -> schemas.Registration:
    """What the person holding the token sees."""
    return schemas.Registration(**_view_fields(registration))


def registration_for_organiser(
    registration: Registration, positions: dict[int, int]
) -> schemas.OrganiserRegistration:
    """A row of the organiser's list. Needs stay out: caterers get counts, never names."""
    organisation = registration.organisation
    event = registration.event
    return schemas.OrganiserRegistration(
        id=registration.id,
        token=registration.token,
        name=registration.name,
        email=registration.email,
        organisation=schemas.Organisation(
            name=organisation.name,
            org_number=organisation.org_number,
            country=organisation.country,
        ),
        target_group=registration.target_group,
        role=registration.role,
        language=registration.language,
        sessions=_sessions(registration),
        status=registration.status,
        waitlist_position=positions.get(registration.id),
        consent_future_invitations=registration.consent_future_invitations,
        added_by_organiser=registration.added_by_organiser,
        registered_at=at(registration.created_at, event),
        cancelled_at=at(registration.cancelled_at, event),
        attended_at=at(registration.attended_at, event),
    )


def counts(counts: queries.Counts) -> schemas.RegistrationCounts:
    return schemas.RegistrationCounts(
        by_status=counts.by_status, by_target_group=counts.by_group, attended=counts.attended
    )


# --- public routes ---------------------------------------------------------------------------

_REGISTRATION = Reply("The registration.", schemas.Registration)
_RATE_LIMITED = Reply("Too many requests from this address; wait a minute.")
_NO_REGISTRATION = "No registration has this token."


@bp.post("/events/<slug>/registrations")
@operation(
    "register",
    tags=["registrations"],
    summary="Register for a published event while registration is open.",
    body=schemas.RegistrationInput,
    responses={
        201: Reply(
            "Registered: confirmed, or waitlisted with a position.",
            schemas.RegistrationCreated,
            {"Location": "The manage page (the same as manage_url)."},
        ),
        404: "No such event (drafts do not exist for the public).",
        409: "already_registered (the manage link is emailed again), registration_closed "
        "(not yet open, closed, or started) or event_cancelled.",
        429: _RATE_LIMITED,
    },
)
@limiter.limit(public_limit)
def register(slug: str, body: dict[str, Any]) -> Response:
    event = public_event_record(slug)  # drafts and unknown slugs: 404
    registered = services.register(event, body)
    answer = schemas.RegistrationCreated(
        status=registered.status,
        waitlist_position=registered.waitlist_position,
        event=event_summary(registered.event),
        sessions=[schemas.SessionRef(id=s.id, title=s.title) for s in registered.sessions],
        manage_url=manage_url(registered),
        token=registered.token,
        reason=registered.full_reason,
    )
    return reply(answer, 201, {"Location": answer.manage_url})


@bp.get("/registrations/<token>")
@operation(
    "getRegistration",
    tags=["registrations"],
    summary="A registration, read with its secret token.",
    responses={200: _REGISTRATION, 404: _NO_REGISTRATION, 429: _RATE_LIMITED},
)
@limiter.limit(public_limit)
def get_registration(token: str) -> Response:
    return reply(registration_view(queries.get_registration(token)))


@bp.delete("/registrations/<token>")
@operation(
    "cancelRegistration",
    tags=["registrations"],
    summary="Cancel: frees the seat at once; answers 200 with status cancelled.",
    responses={200: _REGISTRATION, 404: _NO_REGISTRATION, 429: _RATE_LIMITED},
)
@limiter.limit(public_limit)
def cancel_registration(token: str) -> Response:
    registration = services.cancel(queries.get_registration(token))
    return reply(registration_view(registration))


@bp.patch("/registrations/<token>")
@operation(
    "changeSessions",
    tags=["registrations"],
    summary="Choose other sessions. A confirmed person keeps the seat only if the new sessions "
    "have room; a waitlisted one is confirmed if they fit.",
    body=schemas.SessionsChange,
    responses={
        200: _REGISTRATION,
        404: _NO_REGISTRATION,
        409: "The event has started or is cancelled (registration_closed).",
        429: _RATE_LIMITED,
    },
)
@limiter.limit(public_limit)
def change_sessions(token: str, body: dict[str, Any]) -> Response:
    registration = queries.get_registration(token)
    registration = services.change_sessions(registration, body["sessions"])
    return reply(registration_view(registration))


# --- organisers ------------------------------------------------------------------------------


@bp.get("/events/<slug>/registrations")
@operation(
    "listRegistrations",
    tags=["registrations"],
    summary="The event's registrations and counts (its organisers only).",
    auth="token",
    query=schemas.RegistrationListQuery,
    responses={
        200: Reply("Registrations in order of registering, and counts.", schemas.RegistrationList),
        403: "Not an organiser of this event.",
        404: "No such event.",
    },
)
def list_registrations(slug: str, query: schemas.RegistrationListQuery) -> Response:
    event = get_managed_event(g.organiser, slug)
    filters = queries.RegistrationFilters(status=query.status, target_group=query.target_group)
    positions = seats.waitlist_positions(event)
    answer = reply(
        schemas.RegistrationList(
            event=event_summary(event),
            registrations=[
                registration_for_organiser(r, positions)
                for r in queries.list_registrations(event, filters)
            ],
            counts=counts(queries.counts(event)),
        )
    )
    record_now(
        "registrations_viewed", event_id=event.id, subject=f"event:{event.id}", detail={"api": True}
    )
    return answer


@bp.post("/registrations/<token>/check-in")
@operation(
    "checkIn",
    tags=["registrations"],
    summary="Mark attended at the door (an organiser of the event); an empty body checks in.",
    auth="token",
    body=schemas.CheckInInput,
    body_required=False,
    responses={
        200: Reply("Checked in (or undone).", schemas.CheckIn),
        403: "Not an organiser of this event.",
        404: _NO_REGISTRATION,
    },
)
def check_in(token: str, body: dict[str, Any]) -> Response:
    registration = queries.get_registration(token)
    require_manage(g.organiser, registration.event)
    registration = services.check_in(registration, body["attended"])
    return reply(
        schemas.CheckIn(
            token=registration.token,
            name=registration.name,
            status=registration.status,
            attended_at=at(registration.attended_at, registration.event),
        )
    )


# --- messages to registrants ------------------------------------------------------------------


def mailing_out(mailing: Mailing, event: Any) -> schemas.Mailing:
    reach = None
    if mailing.status == "scheduled":
        found = mailings.reach(event, mailing.audience or {}, frozenset(mailing.subjects))
        reach = schemas.MailingReach(total=found.total, by_language=found.by_language)
    return schemas.Mailing(
        id=mailing.id,
        event=event.slug,
        subjects=dict(mailing.subjects),
        bodies=dict(mailing.bodies),
        audience=dict(mailing.audience or {}),
        send_at=mailing.send_at,
        status=mailing.status,
        recipient_count=mailing.recipient_count,
        reach=reach,
        created_at=mailing.created_at,
        sent_at=mailing.sent_at,
    )


@bp.post("/events/<slug>/mailings")
@operation(
    "createMailing",
    tags=["registrations"],
    summary="Email the event's registrants (all, or by the list's filters, or chosen ones): a "
    "subject and body per language, each person's in their language or the event's; now or "
    "at `send_at`.",
    auth="token",
    body=schemas.MailingCreate,
    responses={
        201: Reply("Sent (status sent) or scheduled.", schemas.Mailing),
        403: "Not an organiser of this event.",
        404: "No such event.",
    },
)
def create_mailing(slug: str, body: dict[str, Any]) -> Response:
    event = get_managed_event(g.organiser, slug)
    audience = {k: v for k, v in (body.get("audience") or {}).items() if v is not None}
    mailing = mailings.create_mailing(
        g.organiser, event, body.get("subjects"), body.get("bodies"), audience,
        body.get("send_at"),
    )  # fmt: skip
    return reply(mailing_out(mailing, event), 201)


@bp.get("/events/<slug>/mailings")
@operation(
    "listMailings",
    tags=["registrations"],
    summary="The event's messages to registrants, the latest first.",
    auth="token",
    responses={
        200: Reply("The messages.", schemas.MailingList),
        403: "Not an organiser of this event.",
        404: "No such event.",
    },
)
def list_mailings(slug: str) -> Response:
    event = get_managed_event(g.organiser, slug)
    items = mailings.event_mailings(event)
    return reply(schemas.MailingList(mailings=[mailing_out(m, event) for m in items]))


@bp.post("/registrations/<token>/sessions/<int:session_id>/check-in")
@operation(
    "checkInSession",
    tags=["registrations"],
    summary="Check a person in to one session that keeps its own attendance (an organiser of "
    'the event); an empty body checks in, {"attended": false} undoes it.',
    auth="token",
    body=schemas.CheckInInput,
    body_required=False,
    responses={
        200: Reply("Checked in to the session (or undone).", schemas.SessionCheckIn),
        403: "Not an organiser of this event.",
        404: "No registration has this token, or the event has no such session.",
        409: "The session keeps no attendance, the person did not choose it, or has no place.",
    },
)
def check_in_session(token: str, session_id: int, body: dict[str, Any]) -> Response:
    registration = queries.get_registration(token)
    event = registration.event
    require_manage(g.organiser, event)
    session = attendance.find_session(event, session_id)
    attended_at = attendance.check_in_session(registration, session, body["attended"])
    registration = queries.get_registration(token)
    return reply(
        schemas.SessionCheckIn(
            token=registration.token,
            name=registration.name,
            session_id=session.id,
            session_title=session.title,
            attended_at=at(attended_at, registration.event),
            event_attended_at=at(registration.attended_at, registration.event),
        )
    )


@bp.patch("/events/<slug>/registrations/<int:registration_id>")
@operation(
    "updateRegistrationDetails",
    tags=["registrations"],
    summary="Correct a registration's name, organisation, target group, role, language or "
    "needs (its organisers only); only the fields given change, the address never does.",
    auth="token",
    body=schemas.DetailsChange,
    responses={
        200: Reply("The registration as corrected.", schemas.OrganiserRegistration),
        403: "Not an organiser of this event.",
        404: "No such event, or no such registration of it.",
    },
)
def update_details(slug: str, registration_id: int, body: dict[str, Any]) -> Response:
    event = get_managed_event(g.organiser, slug)
    registration = queries.get_event_registration(event, registration_id)
    if "email" in body:
        raise ValidationError(
            {"email": _l("The address cannot be changed: a new address is a new registration.")}
        )
    organisation = registration.organisation
    data: dict[str, Any] = {
        "name": registration.name,
        "role": registration.role,
        "language": registration.language,
        "needs": registration.needs,
        "target_group": registration.target_group,
        "organisation": {
            "name": organisation.name,
            "org_number": organisation.org_number or "",
            "country": organisation.country,
        },
    }
    data.update({key: value for key, value in body.items() if key in data and value is not None})
    registration = details.update_details(registration, data, by_organiser=True)
    return reply(registration_for_organiser(registration, seats.waitlist_positions(event)))
