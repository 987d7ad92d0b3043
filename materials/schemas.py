"""The material library's part of JSON API v1, declared once: what it takes and answers.
materials/api.py builds the answers; core/openapi.py puts these classes into the document.

As for events, the inputs check JSON types only; materials.parsing checks the rules and names
each field. A multipart upload carries the same fields as text parts (``MaterialUpload``):
lists as repeated parts, ``audience`` and ``translations`` as JSON text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, StrictInt, StrictStr

from core.schemas import Input, Output, Page, Query, Url, doc, one_of
from events.models import LANGUAGES, TARGET_GROUPS
from materials.models import AUDIENCES, CATEGORIES, DISTRIBUTION_AUDIENCES

PER_PAGE = 20
MAX_PER_PAGE = 100

Language = Literal[LANGUAGES]  # type: ignore[valid-type]
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
AudienceKind = Literal[AUDIENCES]  # type: ignore[valid-type]
TargetGroupCode = Literal[TARGET_GROUPS]  # type: ignore[valid-type]


# --- answers ---------------------------------------------------------------------------------


class Audience(Output):
    kind: AudienceKind
    events: list[str] = Field(description="The slugs of the events whose people may have it.")
    target_groups: list[TargetGroupCode] = Field(description="Narrowed to these; [] all.")


class MaterialTranslation(Output):
    title: str
    description: str


class FileVersion(Output):
    name: str = Field(description="The sanitised file name a download carries.")
    size: int
    content_type: str = Field(description="As found from the content at upload.")
    version: int


class Material(Output):
    id: int
    title: str
    description: str
    category: Category
    language: Language = Field(description="The language of title and description.")
    languages: list[Language] = Field(description="The languages it is written in.")
    target_groups: list[TargetGroupCode] = Field(description="Whom it is for.")
    tags: list[str]
    events: list[str] = Field(description="The slugs of the events it belongs to.")
    translations: dict[Language, MaterialTranslation]
    audience: Audience
    url: Url | None = Field(description="The external link; null for a file.")
    file: FileVersion | None = Field(description="The current file; null for a link.")
    download_url: Url = Field(
        description="The download (or the link); with ?t= when asked with a registration token."
    )
    created_at: datetime
    updated_at: datetime


class MaterialList(Page):
    materials: list[Material]


class Deleted(Output):
    id: int
    deleted: bool


# --- requests --------------------------------------------------------------------------------


class MaterialListQuery(Query):
    t: str | None = Field(
        None, max_length=64, description="A registration's token: adds what that person may have."
    )
    q: str | None = Field(None, max_length=200, description="Words to find (inflected forms too).")
    category: one_of(CATEGORIES, "Only this category.") | None = None  # type: ignore[valid-type]
    language: one_of(LANGUAGES, "Written in this language.") | None = None  # type: ignore[valid-type]
    target_group: one_of(TARGET_GROUPS, "For this target group.") | None = None  # type: ignore[valid-type]
    event: str | None = Field(None, max_length=120, description="An event's slug.")
    page: int = Field(1, ge=1, le=1_000_000, description="Page number.")
    per_page: int = Field(PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Materials per page.")


class MaterialQuery(Query):
    t: str | None = Field(
        None, max_length=64, description="A registration's token: as that person may have it."
    )


class AudienceInput(Input):
    kind: StrictStr = doc(enum=list(AUDIENCES))
    events: list[StrictStr] | None = doc(default=None, description="Event slugs.")
    target_groups: list[StrictStr] | None = doc(default=None, items={"enum": list(TARGET_GROUPS)})


class MaterialTranslationInput(Input):
    title: StrictStr | None = doc(default=None, maxLength=200)
    description: StrictStr | None = doc(default=None, maxLength=5000)


_CODES = {"items": {"enum": list(TARGET_GROUPS)}}
_LANGS = {"items": {"enum": list(LANGUAGES)}}


class MaterialUpdate(Input):
    """PATCH: the fields given change; the others stay. A `url` replaces the file (the
    versions stay as history); a new file (multipart) replaces the link."""

    service_reports_missing: ClassVar[bool] = True

    title: StrictStr = doc(default=None, maxLength=200)
    description: StrictStr | None = doc(default=None, maxLength=5000)
    category: StrictStr = doc(default=None, enum=list(CATEGORIES))
    language: StrictStr = doc(default=None, enum=list(LANGUAGES))
    languages: list[StrictStr] | None = doc(default=None, **_LANGS)
    target_groups: list[StrictStr] | None = doc(default=None, **_CODES)
    tags: list[StrictStr] | None = doc(default=None, description="At most 20, 60 characters each.")
    events: list[StrictStr] | None = doc(default=None, description="Event slugs (your own).")
    sessions: list[StrictInt] | None = doc(default=None, description="Sessions of those events.")
    translations: dict[StrictStr, MaterialTranslationInput | None] | None = doc(
        default=None, propertyNames={"enum": list(LANGUAGES)}
    )
    url: StrictStr | None = doc(
        default=None, description="An http or https link instead of a file.", maxLength=2000
    )
    audience: AudienceInput | None = doc(default=None, description="Who may have it.")


class MaterialCreate(MaterialUpdate):
    """POST as JSON: a link (`url`). A file is sent as multipart/form-data instead."""

    title: StrictStr = doc(maxLength=200)
    category: StrictStr = doc(enum=list(CATEGORIES))


_TEXT: dict[str, Any] = {"type": "string"}
_TEXTS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


class MaterialUpload(Input):
    """A file with the material's fields as text parts: lists as repeated parts, `audience`
    and `translations` as JSON text ({"kind": "registrants", "events": ["…"]})."""

    json_parts: ClassVar[tuple[str, ...]] = ("audience", "translations")

    file: Any = doc(default=None, type="string", contentMediaType="application/octet-stream")
    title: StrictStr | None = doc(default=None, maxLength=200)
    description: StrictStr | None = doc(default=None, maxLength=5000)
    category: StrictStr | None = doc(default=None, enum=list(CATEGORIES))
    language: StrictStr | None = doc(default=None, enum=list(LANGUAGES))
    languages: list[StrictStr] | None = doc(default=None, **_LANGS)
    target_groups: list[StrictStr] | None = doc(default=None, **_CODES)
    tags: list[StrictStr] | None = doc(default=None)
    events: list[StrictStr] | None = doc(default=None)
    sessions: list[StrictStr] | None = doc(default=None, description="Session ids.")
    translations: StrictStr | None = doc(default=None, description="JSON text.")
    url: StrictStr | None = doc(default=None, maxLength=2000)
    audience: StrictStr | None = doc(
        default=None, description='JSON text: {"kind", "events", "target_groups"}.'
    )


# --- distributions ---------------------------------------------------------------------------


class DistributionAudience(Output):
    kind: Literal[DISTRIBUTION_AUDIENCES]  # type: ignore[valid-type]
    target_groups: list[TargetGroupCode] = Field(description="Narrowed to these; [] all.")


class Distribution(Output):
    id: int
    event: str = Field(description="The event's slug.")
    materials: list[int]
    audience: DistributionAudience
    send_at: datetime
    status: Literal["scheduled", "sending", "done"]
    queued: int = Field(description="People whose email is in the outbox.")
    total: int = Field(description="People it reaches now (queued included).")
    finished_at: datetime | None


class DistributionList(Output):
    distributions: list[Distribution]


class DistributionAudienceInput(Input):
    kind: StrictStr = doc(enum=list(DISTRIBUTION_AUDIENCES))
    target_groups: list[StrictStr] | None = doc(default=None, **_CODES)


class DistributionCreate(Input):
    service_reports_missing: ClassVar[bool] = True

    materials: list[StrictInt] = doc(description="Material ids.")
    audience: DistributionAudienceInput | StrictStr = doc(
        description='{"kind": "attendees" | "registrants", "target_groups": [code]}, or the '
        "kind alone."
    )
    send_at: StrictStr | None = doc(
        default=None,
        description='ISO 8601 with an offset, "event_end" (when the event ends), or left out: now.',
    )
