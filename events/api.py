"""The events part of JSON API v1: list, read, create, update, cancel and duplicate events.

The rules are in events.services; what the API takes and answers is declared in
events/schemas.py; this module reads the request, calls the services and builds the answers.
Other features reuse ``events.schemas.event_summary(event)`` and ``at(moment, event)``.

Pagination of ``GET /api/v1/events``: ``?page=`` (from 1) and ``?per_page=`` (1 to 100,
default 50); the answer carries ``page``, ``per_page``, ``total``, ``pages`` and ``next``
(the absolute URL of the next page, or null on the last one).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from core.operations import Reply, describe_path_parameter, operation, page_fields, reply
from core.urls import external_url
from events import duplicate, queries, schemas, services
from events.content import translations_out
from events.models import Event, Session
from events.schemas import at, summary_fields

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")

describe_path_parameter("slug", "The event's URL name.", type="string", pattern="^[a-z0-9-]+$")

_LIST_ARGS = ("past", "per_page", "kind", "format", "language", "city", "target_group", "q", "lang")


# --- serialising -----------------------------------------------------------------------------


def _list_fields(event: Event) -> dict[str, Any]:
    return {
        **summary_fields(event),
        "target_groups": [
            schemas.TargetGroup(code=tg.code, quota=tg.quota) for tg in event.target_groups
        ],
        "translations": translations_out(event),
    }


def event_to_dict(event: Event) -> schemas.Event:
    """An event as GET /api/v1/events lists it (load target_groups with selectinload)."""
    return schemas.Event(**_list_fields(event))


def session(session: Session, event: Event) -> schemas.Session:
    return schemas.Session(
        id=session.id,
        title=session.title,
        description=session.description,
        translations=translations_out(session, event.language),
        starts_at=at(session.starts_at, event),
        ends_at=at(session.ends_at, event),
        room=session.room,
        capacity=session.capacity,
        speakers=[
            schemas.Speaker(name=s.get("name", ""), organisation=s.get("organisation", ""))
            for s in session.speakers or []
        ],
    )


def event_detail(event: Event, *, manage: bool = False) -> schemas.EventDetail:
    """One event with its description and agenda. manage=True adds what only its organisers
    may see: the online join link and the co-organisers."""
    fields = {
        **_list_fields(event),
        "description": event.description,
        "registration_opens_at": at(event.registration_opens_at, event),
        "registration_closes_at": at(event.registration_closes_at, event),
        "sessions": [session(s, event) for s in event.sessions],
    }
    if not manage:
        return schemas.EventDetail(**fields)
    return schemas.ManagedEvent(
        **fields,
        online_url=event.online_url,
        co_organisers=[o.email for o in event.co_organisers],
        send_reminder=event.send_reminder,
    )


# --- routes ----------------------------------------------------------------------------------

_EVENT = Reply("The event.", schemas.ManagedEvent)


@bp.get("/events")
@operation(
    "listEvents",
    tags=["events"],
    summary="Published upcoming events (or past ones), cancelled ones marked.",
    query=schemas.EventListQuery,
    responses={200: Reply("One page of events.", schemas.EventList)},
)
def list_events(query: schemas.EventListQuery) -> Response:
    filters = queries.EventFilters.parse(query.model_dump(exclude_none=True))
    pagination = queries.list_public_events(
        query.past, filters, page=query.page, per_page=query.per_page
    )
    return reply(
        schemas.EventList(
            events=[event_to_dict(e) for e in pagination.items],
            **page_fields(pagination, "events_api.list_events", _LIST_ARGS, query.per_page),
        )
    )


@bp.get("/events/<slug>")
@operation(
    "getEvent",
    tags=["events"],
    summary="One event with its agenda. A draft is visible only with a token of one of its "
    "organisers, who also see the online link and the co-organisers.",
    auth="optional",
    responses={
        200: Reply("The event.", (schemas.ManagedEvent, schemas.EventDetail)),
        404: Reply("No such event, or a draft and the token's organiser does not manage it."),
    },
)
def get_event(slug: str) -> Response:
    """Public for published and cancelled events; a draft only for a token that manages it."""
    event = queries.visible_event(slug, g.organiser)
    manage = g.organiser is not None and queries.can_manage(g.organiser, event)
    return reply(event_detail(event, manage=manage))


@bp.post("/events")
@operation(
    "createEvent",
    tags=["events"],
    summary="Create an event (a draft unless status is published).",
    auth="token",
    body=schemas.EventCreate,
    responses={201: Reply("Created.", schemas.ManagedEvent, {"Location": "The event's API URL."})},
)
def create_event(body: dict[str, Any]) -> Response:
    event = services.create_event(g.organiser, body)
    location = external_url("events_api.get_event", slug=event.slug)
    return reply(event_detail(event, manage=True), 201, {"Location": location})


@bp.patch("/events/<slug>")
@operation(
    "updateEvent",
    tags=["events"],
    summary="Change the fields given. A change of time or place, or of the agenda (`sessions`: "
    "a session moved to another time or room, added or removed), raises the calendar SEQUENCE "
    "and emails registrants at once: unlike the organiser's edit pages for the event and its "
    "sessions, which first show how many people will be emailed and the notice, the API has "
    "no confirmation step.",
    auth="token",
    body=schemas.EventUpdate,
    responses={200: _EVENT, 403: Reply("Not an organiser of this event."), 404: "No such event."},
)
def update_event(slug: str, body: dict[str, Any]) -> Response:
    event = queries.get_managed_event(g.organiser, slug)
    return reply(event_detail(services.update_event(g.organiser, event, body), manage=True))


@bp.post("/events/<slug>/cancel")
@operation(
    "cancelEvent",
    tags=["events"],
    summary="Cancel the event; its page stays, marked cancelled. A published event's "
    "registrants are emailed at once (the organiser's page first shows how many; the API has "
    "no confirmation step).",
    auth="token",
    responses={200: _EVENT, 403: Reply("Not an organiser of this event."), 404: "No such event."},
)
def cancel_event(slug: str) -> Response:
    event = queries.get_managed_event(g.organiser, slug)
    return reply(event_detail(services.cancel_event(g.organiser, event), manage=True))


@bp.post("/events/<slug>/duplicate")
@operation(
    "duplicateEvent",
    tags=["events"],
    summary="Copy the event as a draft to a new start, zone, place and language: its agenda "
    "(each session at the same distance from the start on the new event's clock), target "
    "groups and quotas, texts and translations; not its registrations.",
    auth="token",
    body=schemas.EventDuplicate,
    responses={
        201: Reply("The copy, a draft.", schemas.ManagedEvent, {"Location": "The copy's API URL."}),
        403: Reply("Not an organiser of this event."),
        404: "No such event.",
    },
)
def duplicate_event(slug: str, body: dict[str, Any]) -> Response:
    event = queries.get_managed_event(g.organiser, slug)
    copy = duplicate.duplicate_event(g.organiser, event, body)
    location = external_url("events_api.get_event", slug=copy.slug)
    return reply(event_detail(copy, manage=True), 201, {"Location": location})
