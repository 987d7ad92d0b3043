"""The events part of JSON API v1: list, read, create, update and cancel events.

The rules are in events.services; this module parses JSON, calls them and serialises.
Serialisers other features may reuse: ``event_summary(event)`` (no related rows, so no extra
queries), ``event_to_dict(event)`` (a list item) and ``event_detail(event)``.

Pagination of ``GET /api/v1/events``: ``?page=`` (from 1) and ``?per_page=`` (1 to 100,
default 50); the answer carries ``page``, ``per_page``, ``total``, ``pages`` and ``next``
(the absolute URL of the next page, or null on the last one).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from core.auth import organiser_from_token, token_required
from core.db import db
from core.errors import NotFound, ServiceError, ValidationError
from core.openapi import SLUG, query, ref, response
from core.urls import external_url
from events import services
from events.models import FORMATS, KINDS, LANGUAGES, STATUSES, TARGET_GROUPS, Event, Session

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")

PER_PAGE = 50
MAX_PER_PAGE = 100
_LIST_ARGS = ("past", "per_page", "kind", "format", "language", "city", "target_group")


# --- serialising -----------------------------------------------------------------------------


def iso(moment: datetime | None, event: Event) -> str | None:
    """ISO 8601 with the offset, in the event's own zone: 2026-05-20T09:00:00+03:00."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(event.timezone)).isoformat()


def venue_dict(event: Event) -> dict[str, str] | None:
    """The venue, or None for an online event."""
    if not event.has_venue:
        return None
    return {
        "name": event.venue_name,
        "address": event.venue_address,
        "city": event.venue_city,
        "country": event.venue_country,
    }


def event_summary(event: Event) -> dict[str, Any]:
    """What identifies an event and when and where it happens, with its links. Reads only the
    event's own columns, so embedding it in a list of registrations costs no extra query."""
    return {
        "slug": event.slug,
        "title": event.title,
        "kind": event.kind,
        "format": event.format,
        "language": event.language,
        "timezone": event.timezone,
        "starts_at": iso(event.starts_at, event),
        "ends_at": iso(event.ends_at, event),
        "venue": venue_dict(event),
        "capacity": event.capacity,
        "status": event.status,
        "url": external_url("events.detail", slug=event.slug),
        "ical_url": external_url("calendar.event_ics", slug=event.slug),
    }


def event_to_dict(event: Event) -> dict[str, Any]:
    """An event as GET /api/v1/events lists it (load target_groups with selectinload)."""
    data = event_summary(event)
    data["target_groups"] = [{"code": tg.code, "quota": tg.quota} for tg in event.target_groups]
    return data


def session_dict(session: Session, event: Event) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "description": session.description,
        "starts_at": iso(session.starts_at, event),
        "ends_at": iso(session.ends_at, event),
        "room": session.room,
        "capacity": session.capacity,
        "speakers": [
            {"name": s.get("name", ""), "organisation": s.get("organisation", "")}
            for s in session.speakers or []
        ],
    }


def event_detail(event: Event, *, manage: bool = False) -> dict[str, Any]:
    """One event with its description and agenda. manage=True adds what only its organisers
    may see: the online join link and the co-organisers."""
    data = event_to_dict(event)
    data["description"] = event.description
    data["registration_opens_at"] = iso(event.registration_opens_at, event)
    data["registration_closes_at"] = iso(event.registration_closes_at, event)
    data["sessions"] = [session_dict(s, event) for s in event.sessions]
    if manage:
        data["online_url"] = event.online_url
        data["co_organisers"] = [o.email for o in event.co_organisers]
    return data


# --- parsing ---------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 400 malformed_json (bad JSON, or not an object)."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_constant=_reject_constant) if raw.strip() else None
    except (ValueError, RecursionError):
        raise ServiceError(
            _l("The body is not valid JSON."), code="malformed_json", status=400
        ) from None
    if not isinstance(data, dict):
        raise ServiceError(_l("The body must be a JSON object."), code="malformed_json", status=400)
    return data


def _positive_int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValidationError({name: _l("Give a whole number from 1 to %(n)s.", n=maximum)})
    return int(raw)


def _event_for(slug: str) -> Event:
    event = db.session.scalar(
        sa.select(Event)
        .where(Event.slug == slug)
        .options(selectinload(Event.sessions), selectinload(Event.target_groups))
    )
    if event is None:
        raise NotFound(_l("There is no such event."))
    return event


def _event_response(event: Event, status: int = 200) -> Response:
    response = jsonify(event_detail(event, manage=True))
    response.status_code = status
    return response


# --- routes ----------------------------------------------------------------------------------


@bp.get("/events")
def list_events() -> Response:
    past = request.args.get("past") in ("1", "true", "yes")
    page = _positive_int_arg("page", 1, 1_000_000)
    per_page = _positive_int_arg("per_page", PER_PAGE, MAX_PER_PAGE)
    filters = services.EventFilters.parse(request.args)
    pagination = services.list_public_events(past, filters, page=page, per_page=per_page)
    next_url = None
    if pagination.has_next:
        args = {k: v for k, v in request.args.items() if k in _LIST_ARGS}
        args["page"] = str(page + 1)
        next_url = external_url("events_api.list_events", **args)
    return jsonify(
        {
            "events": [event_to_dict(e) for e in pagination.items],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
            "pages": pagination.pages,
            "next": next_url,
        }
    )


@bp.get("/events/<slug>")
def get_event(slug: str) -> Response:
    """Public for published and cancelled events; a draft only for a token that manages it."""
    manage = False
    if request.headers.get("Authorization"):
        organiser = organiser_from_token()
        event = _event_for(slug)
        manage = services.can_manage(organiser, event)
    else:
        event = _event_for(slug)
    if event.status == "draft" and not manage:
        raise NotFound(_l("There is no such event."))
    return jsonify(event_detail(event, manage=manage))


@bp.post("/events")
@token_required
def create_event() -> Response:
    data = json_body()
    event = services.create_event(g.organiser, data)
    response = _event_response(event, 201)
    response.headers["Location"] = external_url("events_api.get_event", slug=event.slug)
    return response


@bp.patch("/events/<slug>")
@token_required
def update_event(slug: str) -> Response:
    event = services.get_managed_event(g.organiser, slug)
    data = json_body()
    event = services.update_event(g.organiser, event, data)
    return _event_response(event)


@bp.post("/events/<slug>/cancel")
@token_required
def cancel_event(slug: str) -> Response:
    event = services.get_managed_event(g.organiser, slug)
    event = services.cancel_event(g.organiser, event)
    return _event_response(event)


# --- OpenAPI ---------------------------------------------------------------------------------
# core/openapi.py merges these into the document at /api/v1/openapi.json. Responses named in
# "$ref": "#/components/responses/..." (BadRequest, Unauthorized, Forbidden, NotFound, Invalid)
# and the Error schema come from core/openapi.py.

_DATETIME_OUT = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with the offset, in the event's time zone.",
}
_DATETIME_IN = {
    "type": "string",
    "description": "ISO 8601 with an offset (2026-05-20T09:00:00+03:00), or naive local time "
    "in the event's `timezone` (2026-05-20T09:00).",
    "examples": ["2026-05-20T09:00:00+03:00", "2026-05-20T09:00"],
}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_COUNT_OR_NULL = {"type": ["integer", "null"], "minimum": 0, "maximum": services.MAX_NUMBER}


OPENAPI_SCHEMAS: dict[str, Any] = {
    "Venue": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "address": {"type": "string", "maxLength": 300},
            "city": {"type": "string", "maxLength": 100},
            "country": {"type": "string", "maxLength": 100},
        },
    },
    "TargetGroup": {
        "type": "object",
        "required": ["code"],
        "properties": {
            "code": {"type": "string", "enum": list(TARGET_GROUPS)},
            "quota": {**_COUNT_OR_NULL, "description": "At most this many seats; null: no limit."},
        },
    },
    "Speaker": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "organisation": {"type": "string"}},
    },
    "Session": {
        "type": "object",
        "required": ["id", "title", "starts_at", "ends_at", "room", "capacity", "speakers"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "starts_at": _DATETIME_OUT,
            "ends_at": _DATETIME_OUT,
            "room": {"type": "string"},
            "capacity": {"type": ["integer", "null"]},
            "speakers": {"type": "array", "items": ref("Speaker")},
        },
    },
    "SessionInput": {
        "type": "object",
        "required": ["title", "starts_at", "ends_at"],
        "properties": {
            "id": {
                "type": "integer",
                "description": "An existing session's id keeps (and updates) that session; "
                "sessions left out of the list are removed.",
            },
            "title": {"type": "string", "maxLength": 200},
            "description": {"type": "string"},
            "starts_at": _DATETIME_IN,
            "ends_at": _DATETIME_IN,
            "room": {"type": "string", "maxLength": 100},
            "capacity": _COUNT_OR_NULL,
            "speakers": {"type": "array", "items": ref("Speaker")},
        },
    },
    "EventSummary": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "kind",
            "format",
            "language",
            "timezone",
            "starts_at",
            "ends_at",
            "venue",
            "capacity",
            "status",
            "url",
            "ical_url",
        ],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "format": {"type": "string", "enum": list(FORMATS)},
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "timezone": {"type": "string", "examples": ["Europe/Helsinki"]},
            "starts_at": _DATETIME_OUT,
            "ends_at": _DATETIME_OUT,
            "venue": {"oneOf": [ref("Venue"), {"type": "null"}]},
            "capacity": {"type": ["integer", "null"]},
            "status": {"type": "string", "enum": list(STATUSES)},
            "url": {"type": "string", "format": "uri", "description": "The public page."},
            "ical_url": {"type": "string", "format": "uri", "description": "iCalendar file."},
        },
    },
    "Event": {
        "allOf": [
            ref("EventSummary"),
            {
                "type": "object",
                "required": ["target_groups"],
                "properties": {
                    "target_groups": {"type": "array", "items": ref("TargetGroup")},
                },
            },
        ]
    },
    "EventDetail": {
        "allOf": [
            ref("Event"),
            {
                "type": "object",
                "required": ["description", "sessions"],
                "properties": {
                    "description": {"type": "string", "description": "Markdown."},
                    "registration_opens_at": {**_DATETIME_OUT, "type": ["string", "null"]},
                    "registration_closes_at": {**_DATETIME_OUT, "type": ["string", "null"]},
                    "sessions": {"type": "array", "items": ref("Session")},
                    "online_url": {
                        "type": "string",
                        "description": "Only for the event's organisers.",
                    },
                    "co_organisers": {
                        "type": "array",
                        "items": {"type": "string", "format": "email"},
                        "description": "Only for the event's organisers.",
                    },
                },
            },
        ]
    },
    "EventInput": {
        "type": "object",
        "description": "POST needs title, kind, format, language, starts_at and ends_at; "
        "PATCH changes only the fields given.",
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "slug": {"type": "string", "description": "Wanted URL name (POST only)."},
            "description": {"type": "string", "description": "Markdown."},
            "kind": {"type": "string", "enum": list(KINDS)},
            "format": {"type": "string", "enum": list(FORMATS)},
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "timezone": {"type": "string", "default": "Europe/Stockholm"},
            "starts_at": _DATETIME_IN,
            "ends_at": _DATETIME_IN,
            "venue": {"oneOf": [ref("Venue"), {"type": "null"}]},
            "online_url": {"type": "string", "format": "uri"},
            "capacity": _COUNT_OR_NULL,
            "status": {
                "type": "string",
                "enum": list(STATUSES),
                "description": "draft or published (POST); PATCH may also publish or cancel.",
            },
            "registration_opens_at": {**_DATETIME_IN, "type": ["string", "null"]},
            "registration_closes_at": {**_DATETIME_IN, "type": ["string", "null"]},
            "target_groups": {
                "type": "array",
                "items": {"oneOf": [ref("TargetGroup"), {"type": "string"}]},
                "description": "Codes or {code, quota}; all groups when left out on POST.",
            },
            "sessions": {"type": "array", "items": ref("SessionInput")},
            "co_organisers": {"type": "array", "items": {"type": "string", "format": "email"}},
        },
    },
    "EventList": {
        "type": "object",
        "required": ["events", "page", "per_page", "total", "pages", "next"],
        "properties": {
            "events": {"type": "array", "items": ref("Event")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri"},
        },
    },
}

_EVENT_OK = {
    "description": "The event.",
    "content": {"application/json": {"schema": ref("EventDetail")}},
}
_EVENT_BODY = {
    "required": True,
    "content": {"application/json": {"schema": ref("EventInput")}},
}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/events": {
        "get": {
            "operationId": "listEvents",
            "tags": ["events"],
            "summary": "Published upcoming events (or past ones), cancelled ones marked.",
            "security": [],
            "parameters": [
                query("past", {"type": "string", "enum": ["0", "1"]}, "1: events that ended."),
                query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
                query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE},
                    "Events per page.",
                ),
                query("kind", {"type": "string", "enum": list(KINDS)}, "Only this kind."),
                query("format", {"type": "string", "enum": list(FORMATS)}, "Only this format."),
                query("language", {"type": "string", "enum": list(LANGUAGES)}, "Spoken language."),
                query("city", {"type": "string"}, 'A city, or "online".'),
                query(
                    "target_group",
                    {"type": "string", "enum": list(TARGET_GROUPS)},
                    "Only events open to this group.",
                ),
            ],
            "responses": {
                "200": {
                    "description": "One page of events.",
                    "content": {"application/json": {"schema": ref("EventList")}},
                },
                "422": response("Invalid"),
            },
        },
        "post": {
            "operationId": "createEvent",
            "tags": ["events"],
            "summary": "Create an event (a draft unless status is published).",
            "security": [{"bearerAuth": []}],
            "requestBody": _EVENT_BODY,
            "responses": {
                "201": {
                    **_EVENT_OK,
                    "description": "Created.",
                    "headers": {
                        "Location": {
                            "description": "The event's API URL.",
                            "schema": {"type": "string", "format": "uri"},
                        }
                    },
                },
                "400": response("BadRequest"),
                "401": response("Unauthorized"),
                "422": response("Invalid"),
            },
        },
    },
    "/api/v1/events/{slug}": {
        "parameters": [SLUG],
        "get": {
            "operationId": "getEvent",
            "tags": ["events"],
            "summary": "One event with its agenda. A draft is visible only with a token of one "
            "of its organisers.",
            "security": [{}, {"bearerAuth": []}],
            "responses": {
                "200": _EVENT_OK,
                "401": response("Unauthorized"),
                "404": response("NotFound"),
            },
        },
        "patch": {
            "operationId": "updateEvent",
            "tags": ["events"],
            "summary": "Change the fields given. A change of time or place raises the calendar "
            "SEQUENCE and tells registrants.",
            "security": [{"bearerAuth": []}],
            "requestBody": _EVENT_BODY,
            "responses": {
                "200": _EVENT_OK,
                "400": response("BadRequest"),
                "401": response("Unauthorized"),
                "403": response("Forbidden"),
                "404": response("NotFound"),
                "422": response("Invalid"),
            },
        },
    },
    "/api/v1/events/{slug}/cancel": {
        "parameters": [SLUG],
        "post": {
            "operationId": "cancelEvent",
            "tags": ["events"],
            "summary": "Cancel the event; its page stays, marked cancelled.",
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": _EVENT_OK,
                "401": response("Unauthorized"),
                "403": response("Forbidden"),
                "404": response("NotFound"),
            },
        },
    },
}
