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
  undoes it).

The rules are in participants.services; this module parses JSON, calls them and serialises.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from flask_babel import lazy_gettext as _l

from core.auth import token_required
from core.errors import ValidationError
from core.extensions import limiter, public_limit
from core.openapi import SLUG, error_response, query, ref, response
from events.api import event_summary, json_body
from events.models import TARGET_GROUPS
from events.services import get_managed_event, get_public_event, require_manage
from participants import queries, seats, services
from participants.emails import manage_url
from participants.models import REGISTRATION_STATUSES, Registration

bp = Blueprint("participants_api", __name__, url_prefix="/api/v1")


# --- serialising -----------------------------------------------------------------------------


def _sessions(registration: Registration) -> list[dict[str, Any]]:
    return [{"id": s.id, "title": s.title} for s in registration.sessions]


def registration_view(registration: Registration) -> dict[str, Any]:
    """What the person holding the token sees."""
    return {
        "status": registration.status,
        "waitlist_position": seats.waitlist_position(registration),
        "event": event_summary(registration.event),
        "sessions": _sessions(registration),
        "manage_url": manage_url(registration),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def registration_for_organiser(
    registration: Registration, positions: dict[int, int]
) -> dict[str, Any]:
    """A row of the organiser's list. Needs stay out: caterers get counts, never names."""
    organisation = registration.organisation
    return {
        "id": registration.id,
        "token": registration.token,
        "name": registration.name,
        "email": registration.email,
        "organisation": {
            "name": organisation.name,
            "org_number": organisation.org_number,
            "country": organisation.country,
        },
        "target_group": registration.target_group,
        "role": registration.role,
        "language": registration.language,
        "sessions": _sessions(registration),
        "status": registration.status,
        "waitlist_position": positions.get(registration.id),
        "consent_future_invitations": registration.consent_future_invitations,
        "added_by_organiser": registration.added_by_organiser,
        "registered_at": _iso(registration.created_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "attended_at": _iso(registration.attended_at),
    }


def counts_dict(counts: queries.Counts) -> dict[str, Any]:
    return {
        "by_status": counts.by_status,
        "by_target_group": counts.by_group,
        "attended": counts.attended,
    }


# --- public routes ---------------------------------------------------------------------------


@bp.post("/events/<slug>/registrations")
@limiter.limit(public_limit)
def register(slug: str) -> Response:
    event = get_public_event(slug)  # drafts and unknown slugs: 404
    data = json_body()
    registration = services.register(event, data)
    body = registration_view(registration)
    body["token"] = registration.token
    if registration.status == "waitlisted" and registration.full_reason:
        body["reason"] = registration.full_reason
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["manage_url"]
    return response


@bp.get("/registrations/<token>")
@limiter.limit(public_limit)
def get_registration(token: str) -> Response:
    return jsonify(registration_view(queries.get_registration(token)))


@bp.delete("/registrations/<token>")
@limiter.limit(public_limit)
def cancel_registration(token: str) -> Response:
    registration = services.cancel(queries.get_registration(token))
    return jsonify(registration_view(registration))


@bp.patch("/registrations/<token>")
@limiter.limit(public_limit)
def change_sessions(token: str) -> Response:
    registration = queries.get_registration(token)
    data = json_body()
    if not isinstance(data.get("sessions"), list):
        raise ValidationError({"sessions": _l("Give the sessions as a list of their ids.")})
    registration = services.change_sessions(registration, data["sessions"])
    return jsonify(registration_view(registration))


# --- organisers ------------------------------------------------------------------------------


@bp.get("/events/<slug>/registrations")
@token_required
def list_registrations(slug: str) -> Response:
    event = get_managed_event(g.organiser, slug)
    errors: dict[str, Any] = {}
    status = request.args.get("status")
    if status and status not in REGISTRATION_STATUSES:
        errors["status"] = _l(
            "Choose one of: %(choices)s.", choices=", ".join(REGISTRATION_STATUSES)
        )
    group = request.args.get("target_group")
    if group and group not in TARGET_GROUPS:
        errors["target_group"] = _l("Choose one of: %(choices)s.", choices=", ".join(TARGET_GROUPS))
    if errors:
        raise ValidationError(errors)
    filters = queries.RegistrationFilters(status=status or None, target_group=group or None)
    positions = seats.waitlist_positions(event)
    return jsonify(
        {
            "event": event_summary(event),
            "registrations": [
                registration_for_organiser(r, positions)
                for r in queries.list_registrations(event, filters)
            ],
            "counts": counts_dict(queries.counts(event)),
        }
    )


@bp.post("/registrations/<token>/check-in")
@token_required
def check_in(token: str) -> Response:
    registration = queries.get_registration(token)
    require_manage(g.organiser, registration.event)
    attended = True
    if request.get_data(cache=True).strip():
        data = json_body()
        attended = data.get("attended", True)
        if not isinstance(attended, bool):
            raise ValidationError({"attended": _l("Give true or false.")})
    registration = services.check_in(registration, attended)
    return jsonify(
        {
            "token": registration.token,
            "name": registration.name,
            "status": registration.status,
            "attended_at": _iso(registration.attended_at),
        }
    )


# --- OpenAPI ---------------------------------------------------------------------------------
# Merged by core/openapi.py; shared responses and the Error schema come from there.


_RATE_LIMITED = error_response(
    "Too many requests from this address; wait a minute.", "rate_limited"
)
_ORG_NUMBER = (
    "Swedish organisation number (NNNNNN-NNNN, Luhn; digits 3-4 at least 20) when country is "
    "SE, Finnish business ID (NNNNNNN-N, mod 11) when FI; stored normalised."
)

OPENAPI_SCHEMAS: dict[str, Any] = {
    "RegistrationInput": {
        "type": "object",
        "required": ["name", "email", "organisation", "target_group"],
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "email": {"type": "string", "format": "email"},
            "organisation": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "org_number": {"type": ["string", "null"], "description": _ORG_NUMBER},
                    "country": {"type": "string", "enum": ["SE", "FI", "other"], "default": "SE"},
                },
            },
            "target_group": {
                "type": "string",
                "enum": list(TARGET_GROUPS),
                "description": "One the event admits.",
            },
            "role": {"type": "string", "maxLength": 200},
            "language": {
                "type": "string",
                "enum": ["sv", "en", "fi"],
                "description": "For emails and the manage page; default the event's language.",
            },
            "sessions": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Session ids from the event's agenda, none at the same time.",
            },
            "needs": {
                "type": "string",
                "maxLength": 2000,
                "description": "Dietary and accessibility needs; deleted after the event.",
            },
            "consent_future_invitations": {"type": "boolean", "default": False},
        },
    },
    "SessionRef": {
        "type": "object",
        "required": ["id", "title"],
        "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
    },
    "Registration": {
        "type": "object",
        "required": ["status", "waitlist_position", "event", "sessions", "manage_url"],
        "properties": {
            "status": {"type": "string", "enum": list(REGISTRATION_STATUSES)},
            "waitlist_position": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "1 for the first in line; null unless waitlisted.",
            },
            "event": ref("EventSummary"),
            "sessions": {"type": "array", "items": ref("SessionRef")},
            "manage_url": {"type": "string", "format": "uri"},
        },
    },
    "RegistrationCreated": {
        "allOf": [
            ref("Registration"),
            {
                "type": "object",
                "required": ["token"],
                "properties": {
                    "token": {
                        "type": "string",
                        "description": "The secret of the manage link; keep it.",
                    },
                    "reason": {
                        "type": "string",
                        "enum": ["event", "quota", "session"],
                        "description": "Only when waitlisted: what is full. When only a chosen "
                        "session is full the whole registration waits; choosing other sessions "
                        "(PATCH) confirms it if they have room.",
                    },
                },
            },
        ]
    },
    "OrganiserRegistration": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "token": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "organisation": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "org_number": {"type": ["string", "null"]},
                    "country": {"type": "string"},
                },
            },
            "target_group": {"type": "string", "enum": list(TARGET_GROUPS)},
            "role": {"type": "string"},
            "language": {"type": "string"},
            "sessions": {"type": "array", "items": ref("SessionRef")},
            "status": {"type": "string", "enum": list(REGISTRATION_STATUSES)},
            "waitlist_position": {"type": ["integer", "null"]},
            "consent_future_invitations": {"type": "boolean"},
            "added_by_organiser": {"type": "boolean"},
            "registered_at": {"type": "string", "format": "date-time"},
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
            "attended_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "RegistrationCounts": {
        "type": "object",
        "required": ["by_status", "by_target_group", "attended"],
        "properties": {
            "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_target_group": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                },
                "description": "Target group -> status -> count.",
            },
            "attended": {"type": "integer"},
        },
    },
}

_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_REGISTRATION_OK = {
    "description": "The registration.",
    "content": {"application/json": {"schema": ref("Registration")}},
}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/events/{slug}/registrations": {
        "parameters": [SLUG],
        "post": {
            "operationId": "register",
            "tags": ["registrations"],
            "summary": "Register for a published event while registration is open.",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("RegistrationInput")}},
            },
            "responses": {
                "201": {
                    "description": "Registered: confirmed, or waitlisted with a position.",
                    "content": {"application/json": {"schema": ref("RegistrationCreated")}},
                },
                "400": response("BadRequest"),
                "404": response("NotFound"),
                "409": error_response(
                    "already_registered (the manage link is emailed again), "
                    "registration_closed (not yet open, closed, or started) or event_cancelled.",
                    "already_registered",
                ),
                "422": response("Invalid"),
                "429": _RATE_LIMITED,
            },
        },
        "get": {
            "operationId": "listRegistrations",
            "tags": ["registrations"],
            "summary": "The event's registrations and counts (its organisers only).",
            "security": [{"bearerAuth": []}],
            "parameters": [
                query(
                    "status",
                    {"type": "string", "enum": list(REGISTRATION_STATUSES)},
                    "Only this status.",
                ),  # fmt: skip
                query(
                    "target_group",
                    {"type": "string", "enum": list(TARGET_GROUPS)},
                    "Only this target group.",
                ),
            ],
            "responses": {
                "200": {
                    "description": "Registrations in order of registering, and counts.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["event", "registrations", "counts"],
                                "properties": {
                                    "event": ref("EventSummary"),
                                    "registrations": {
                                        "type": "array",
                                        "items": ref("OrganiserRegistration"),
                                    },
                                    "counts": ref("RegistrationCounts"),
                                },
                            }
                        }
                    },
                },
                "401": response("Unauthorized"),
                "403": response("Forbidden"),
                "404": response("NotFound"),
                "422": response("Invalid"),
            },
        },
    },
    "/api/v1/registrations/{token}": {
        "parameters": [_TOKEN],
        "get": {
            "operationId": "getRegistration",
            "tags": ["registrations"],
            "summary": "A registration, read with its secret token.",
            "security": [],
            "responses": {
                "200": _REGISTRATION_OK,
                "404": response("NotFound"),
                "429": _RATE_LIMITED,
            },  # fmt: skip
        },
        "delete": {
            "operationId": "cancelRegistration",
            "tags": ["registrations"],
            "summary": "Cancel: frees the seat at once; answers 200 with status cancelled.",
            "security": [],
            "responses": {
                "200": _REGISTRATION_OK,
                "404": response("NotFound"),
                "429": _RATE_LIMITED,
            },  # fmt: skip
        },
        "patch": {
            "operationId": "changeSessions",
            "tags": ["registrations"],
            "summary": "Choose other sessions. A confirmed person keeps the seat only if the "
            "new sessions have room; a waitlisted one is confirmed if they fit.",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["sessions"],
                            "properties": {
                                "sessions": {"type": "array", "items": {"type": "integer"}}
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _REGISTRATION_OK,
                "400": response("BadRequest"),
                "404": response("NotFound"),
                "409": error_response(
                    "The event has started or is cancelled.", "registration_closed"
                ),
                "422": response("Invalid"),
                "429": _RATE_LIMITED,
            },
        },
    },
    "/api/v1/registrations/{token}/check-in": {
        "parameters": [_TOKEN],
        "post": {
            "operationId": "checkIn",
            "tags": ["registrations"],
            "summary": "Mark attended at the door (an organiser of the event).",
            "security": [{"bearerAuth": []}],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "attended": {
                                    "type": "boolean",
                                    "default": True,
                                    "description": "false undoes the check-in.",
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Checked in (or undone).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["token", "status", "attended_at"],
                                "properties": {
                                    "token": {"type": "string"},
                                    "name": {"type": "string"},
                                    "status": {"type": "string"},
                                    "attended_at": {
                                        "type": ["string", "null"],
                                        "format": "date-time",
                                    },  # fmt: skip
                                },
                            }
                        }
                    },
                },
                "400": response("BadRequest"),
                "401": response("Unauthorized"),
                "403": response("Forbidden"),
                "404": response("NotFound"),
                "422": response("Invalid"),
            },
        },
    },
}
