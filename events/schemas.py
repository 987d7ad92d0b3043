"""The events part of JSON API v1, declared once: what the API takes (``…Input``, queries)
and what it answers. events/api.py builds the answers from the rows; core/openapi.py puts
these classes into the OpenAPI document.

Inputs check JSON types only; events.services checks the rules (required fields, lengths,
choices, times, capacities) and names each field. What it checks is written here with
``doc(...)`` so the document says it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, StrictStr

from core.schemas import Email, Input, Moment, MomentInput, Output, Page, Query, Url, doc, one_of
from core.urls import external_url
from events.models import FORMATS, KINDS, LANGUAGES, STATUSES, TARGET_GROUPS, local
from events.models import Event as EventRow

MAX_NUMBER = 1_000_000  # as events.parsing.MAX_NUMBER: capacities and quotas
PER_PAGE = 50
MAX_PER_PAGE = 100
# What events.parsing takes as a join link, around the spaces it strips; "" removes the link.
ONLINE_URL = r"^\s*(https?://\S+)?\s*$"

Kind = Literal[KINDS]  # type: ignore[valid-type]
Format = Literal[FORMATS]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
TargetGroupCode = Literal[TARGET_GROUPS]  # type: ignore[valid-type]


# --- answers ---------------------------------------------------------------------------------


class Venue(Output):
    name: str
    address: str
    city: str
    country: str


class TargetGroup(Output):
    code: TargetGroupCode
    quota: int | None = Field(description="At most this many seats; null: no limit.")


class Speaker(Output):
    name: str
    organisation: str


class Translation(Output):
    title: str = Field(description='"" when only the description is translated.')
    description: str = Field(description='Markdown; "" when only the title is translated.')


_TRANSLATIONS_DOC = (
    "The title and description in the other languages (sv, en, fi) than the event's own "
    "`language`, keyed by language; only the languages that have a text. Visitors reading the "
    "pages in one of them see it; the own fields otherwise."
)
Translations = Annotated[
    dict[Language, Translation],
    Field(description=_TRANSLATIONS_DOC, examples=[{"en": {"title": "…", "description": "…"}}]),
]


class Session(Output):
    id: int
    title: str
    description: str
    translations: Translations
    starts_at: Moment
    ends_at: Moment
    room: str
    capacity: int | None
    speakers: list[Speaker]


class EventSummary(Output):
    """What identifies an event, when and where it happens, and its links."""

    slug: str
    title: str
    kind: Kind
    format: Format
    language: Language
    timezone: str = Field(examples=["Europe/Helsinki"])
    starts_at: Moment
    ends_at: Moment
    venue: Venue | None = Field(description="null for an online event.")
    capacity: int | None
    status: Status
    url: Url = Field(description="The public page.")
    ical_url: Url = Field(description="The iCalendar file.")


class Event(EventSummary):
    """An event as the list shows it."""

    target_groups: list[TargetGroup]
    translations: Translations


class EventDetail(Event):
    """One event with its description and agenda."""

    description: str = Field(description="Markdown.")
    registration_opens_at: Moment | None
    registration_closes_at: Moment | None
    sessions: list[Session]


class ManagedEvent(EventDetail):
    """One event as its organisers see it: with the online link and the co-organisers."""

    online_url: str
    co_organisers: list[Email]
    send_reminder: bool = Field(description="Whether confirmed people get a day-before reminder.")


class EventList(Page):
    events: list[Event]


# --- requests --------------------------------------------------------------------------------


class EventListQuery(Query):
    past: bool = Field(False, description="true: events that have ended, latest first.")
    page: int = Field(1, ge=1, le=1_000_000, description="Page number.")
    per_page: int = Field(PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Events per page.")
    kind: one_of(KINDS, "Only this kind.") | None = None  # type: ignore[valid-type]
    format: one_of(FORMATS, "Only this format.") | None = None  # type: ignore[valid-type]
    language: one_of(LANGUAGES, "Spoken language.") | None = None  # type: ignore[valid-type]
    city: str | None = Field(None, description='A city, or "online".')
    target_group: one_of(TARGET_GROUPS, "Only events open to this group.") | None = None  # type: ignore[valid-type]
    q: str | None = Field(
        None,
        max_length=100,
        description="Text to find in the title or description: in the language asked "
        "(?lang= or Accept-Language) or the event's own.",
    )


def _object_from_text(key: str) -> Any:
    """The services take "supplier" for {"code": "supplier"} and "Anna" for {"name": "Anna"}."""
    return BeforeValidator(lambda value: {key: value} if isinstance(value, str) else value)


_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_NUMBER}


class VenueInput(Input):
    name: StrictStr | None = doc(default=None, maxLength=200)
    address: StrictStr | None = doc(default=None, maxLength=300)
    city: StrictStr | None = doc(default=None, maxLength=100)
    country: StrictStr | None = doc(default=None, maxLength=100)


class TargetGroupInput(Input):
    code: StrictStr = doc(enum=list(TARGET_GROUPS))
    quota: StrictInt | None = doc(
        default=None, description="At most this many seats; null: no limit.", **_COUNT
    )


class SpeakerInput(Input):
    name: StrictStr = doc(maxLength=200)
    organisation: StrictStr | None = doc(default=None, maxLength=200)


def _translation_input(description_max: int) -> type[Input]:
    class TranslationInput(Input):
        title: StrictStr | None = doc(default=None, maxLength=200)
        description: StrictStr | None = doc(
            default=None, description="Markdown.", maxLength=description_max
        )

    return TranslationInput


class EventTranslationInput(_translation_input(50000)):  # type: ignore[misc]
    """An event's title and description in one other language; empty texts are dropped."""


class SessionTranslationInput(_translation_input(10000)):  # type: ignore[misc]
    """A session's title and description in one other language; empty texts are dropped."""


def _translations_doc(item: str, more: str = "") -> dict[str, Any]:
    return {
        "description": "The title and description in other languages than the event's own "
        "`language`, keyed by sv, en or fi (any other key is refused, and so is a text in the "
        f"event's own language); replaces the {item}'s translations, null removes them.{more}",
        "propertyNames": {"enum": list(LANGUAGES)},
    }


class SessionInput(Input):
    id: StrictInt | None = doc(
        default=None,
        description="An existing session's id keeps (and updates) that session; sessions left "
        "out of the list are removed.",
    )
    title: StrictStr = doc(maxLength=200)
    description: StrictStr | None = doc(default=None, maxLength=10000)
    starts_at: MomentInput
    ends_at: MomentInput
    room: StrictStr | None = doc(default=None, maxLength=100)
    capacity: StrictInt | None = doc(default=None, **_COUNT)
    translations: dict[StrictStr, SessionTranslationInput | None] | None = doc(
        default=None,
        **_translations_doc("session", " Left out, a kept session keeps its translations."),
    )
    speakers: list[Annotated[SpeakerInput, _object_from_text("name")]] | None = doc(
        default=None,
        description="Objects, or names as text.",
        anyOf=[
            {
                "type": "array",
                "items": {
                    "anyOf": [{"$ref": "#/components/schemas/SpeakerInput"}, {"type": "string"}]
                },
            },
            {"type": "null"},
        ],
    )


_TARGET_GROUPS_DOC = {
    "description": "Codes, or {code, quota}.",
    "items": {
        "anyOf": [
            {"$ref": "#/components/schemas/TargetGroupInput"},
            {"type": "string", "enum": list(TARGET_GROUPS)},
        ]
    },
}
_TargetGroupItem = Annotated[TargetGroupInput, _object_from_text("code")]


class EventUpdate(Input):
    """PATCH: the fields given change; the others stay."""

    service_reports_missing: ClassVar[bool] = True

    title: StrictStr = doc(default=None, maxLength=200)
    description: StrictStr | None = doc(default=None, description="Markdown.", maxLength=50000)
    translations: dict[StrictStr, EventTranslationInput | None] | None = doc(
        default=None, **_translations_doc("event")
    )
    kind: StrictStr = doc(default=None, enum=list(KINDS))
    format: StrictStr = doc(default=None, enum=list(FORMATS))
    language: StrictStr = doc(default=None, enum=list(LANGUAGES))
    timezone: StrictStr | None = doc(
        default=None, description="An IANA zone name.", examples=["Europe/Helsinki"]
    )
    starts_at: MomentInput = doc(default=None)
    ends_at: MomentInput = doc(default=None)
    venue: VenueInput | None = doc(default=None, description="null for an online event.")
    online_url: StrictStr | None = doc(
        default=None,
        pattern=ONLINE_URL,
        maxLength=500,
        description="An http(s) address; empty for none.",
    )
    capacity: StrictInt | None = doc(default=None, **_COUNT)
    status: StrictStr = doc(
        default=None,
        enum=list(STATUSES),
        description="published publishes a draft, cancelled cancels; a published event cannot "
        "go back to draft.",
    )
    registration_opens_at: MomentInput | None = doc(default=None)
    registration_closes_at: MomentInput | None = doc(default=None)
    target_groups: list[_TargetGroupItem] = doc(default=None, **_TARGET_GROUPS_DOC)
    sessions: list[SessionInput] | None = doc(
        default=None, description="The whole agenda: sessions left out are removed."
    )
    co_organisers: list[Email] | None = doc(
        default=None, description="Organisers' emails; replaces the list."
    )
    send_reminder: StrictBool = doc(
        default=None, description="Email confirmed people a reminder the day before (default on)."
    )


class EventCreate(EventUpdate):
    """POST: a new event, a draft unless status is published."""

    title: StrictStr = doc(maxLength=200)
    slug: StrictStr | None = doc(
        default=None, description="Wanted URL name; made from the title when left out."
    )
    kind: StrictStr = doc(enum=list(KINDS))
    format: StrictStr = doc(enum=list(FORMATS))
    language: StrictStr = doc(enum=list(LANGUAGES))
    timezone: StrictStr = doc(
        default="Europe/Stockholm", description="An IANA zone name.", examples=["Europe/Helsinki"]
    )
    starts_at: MomentInput
    ends_at: MomentInput
    status: StrictStr = doc(default="draft", enum=["draft", "published"])
    target_groups: list[_TargetGroupItem] = Field(
        default_factory=lambda: list(TARGET_GROUPS),
        description="Codes, or {code, quota}; all groups, without quotas, when left out.",
        json_schema_extra={"items": _TARGET_GROUPS_DOC["items"], "default": list(TARGET_GROUPS)},
    )


# --- built from the rows (events/api.py and other features' APIs) -------------------------


def at(moment: datetime | None, event: EventRow) -> datetime | None:
    """A stored UTC time in the event's own zone, so it is written with that zone's offset
    (2026-05-20T09:00:00+03:00). Every time the API answers goes through here."""
    return local(moment, event) if moment is not None else None


def venue(event: EventRow) -> Venue | None:
    """The venue, or None for an online event."""
    if not event.has_venue:
        return None
    return Venue(
        name=event.venue_name,
        address=event.venue_address,
        city=event.venue_city,
        country=event.venue_country,
    )


def summary_fields(event: EventRow) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": event.title,
        "kind": event.kind,
        "format": event.format,
        "language": event.language,
        "timezone": event.timezone,
        "starts_at": at(event.starts_at, event),
        "ends_at": at(event.ends_at, event),
        "venue": venue(event),
        "capacity": event.capacity,
        "status": event.status,
        "url": external_url("events.detail", slug=event.slug),
        "ical_url": external_url("calendar.event_ics", slug=event.slug),
    }


def event_summary(event: EventRow) -> EventSummary:
    """What identifies an event and when and where it happens, with its links. Reads only the
    event's own columns, so embedding it in a list of registrations costs no extra query."""
    return EventSummary(**summary_fields(event))


class EventDuplicate(Input):
    """POST /events/{slug}/duplicate: a draft copy at a new time and place. The agenda keeps
    each session's distance from the start on the new event's own clock; the registration
    window moves with the start. What is left out is the source's."""

    service_reports_missing: ClassVar[bool] = True

    starts_at: MomentInput = doc(
        description="The copy's start: ISO 8601 with an offset, or naive local time in "
        "`timezone` (a time the clocks skip there is refused)."
    )
    timezone: StrictStr | None = doc(
        default=None, description="An IANA zone name.", examples=["Europe/Helsinki"]
    )
    language: StrictStr | None = doc(
        default=None,
        enum=list(LANGUAGES),
        description="The copy's language; its texts in that language become its own.",
    )
    title: StrictStr | None = doc(default=None, maxLength=200)
    slug: StrictStr | None = doc(
        default=None, description="Wanted URL name; made from the title when left out."
    )
    format: StrictStr | None = doc(default=None, enum=list(FORMATS))
    venue: VenueInput | None = doc(default=None, description="The new place.")
    online_url: StrictStr | None = doc(
        default=None,
        pattern=ONLINE_URL,
        maxLength=500,
        description="An http(s) address; empty for none.",
    )
