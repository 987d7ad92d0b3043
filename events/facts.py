"""An event and its sessions as plain facts: what an email or a calendar part needs to know of
them, taken in the transaction that queues a message and kept as JSON in its outbox row.

`event_facts(event, language)` / `session_facts(session, language)` take the snapshot (JSON:
datetimes as ISO text), the title and description in the reader's language where the event has
them and in its own otherwise (events.content.localized; `title_lang` and `description_lang`
say which); `EventFacts.from_json` / `SessionFacts.from_json` give it back as objects with the same
attribute names as the models, so the email templates and events.calendar read either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.content import localized, own_language
from events.models import Event, Session


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class SessionFacts:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str = ""
    description: str = ""
    speakers: list[dict[str, str]] = field(default_factory=list)
    title_lang: str = ""  # the language the title is written in ("" in older snapshots)
    description_lang: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionFacts:
        return cls(
            id=int(data["id"]),
            title=data["title"],
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            room=data.get("room") or "",
            description=data.get("description") or "",
            speakers=list(data.get("speakers") or []),
            title_lang=data.get("title_lang") or "",
            description_lang=data.get("description_lang") or "",
        )


@dataclass(frozen=True)
class EventFacts:
    id: int
    slug: str
    title: str
    kind: str
    format: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    status: str
    sequence: int
    description: str = ""
    venue_name: str = ""
    venue_address: str = ""
    venue_city: str = ""
    venue_country: str = ""
    target_group_codes: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sessions: list[SessionFacts] = field(default_factory=list)  # the agenda, when kept
    title_lang: str = ""  # the language the title is written in ("" in older snapshots)
    description_lang: str = ""

    @property
    def has_venue(self) -> bool:
        return self.format in ("in_person", "hybrid")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventFacts:
        return cls(
            id=int(data["id"]),
            slug=data["slug"],
            title=data["title"],
            kind=data["kind"],
            format=data["format"],
            timezone=data["timezone"],
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            status=data["status"],
            sequence=int(data.get("sequence") or 0),
            description=data.get("description") or "",
            venue_name=data.get("venue_name") or "",
            venue_address=data.get("venue_address") or "",
            venue_city=data.get("venue_city") or "",
            venue_country=data.get("venue_country") or "",
            target_group_codes=list(data.get("target_group_codes") or []),
            created_at=_moment(data.get("created_at")),
            updated_at=_moment(data.get("updated_at")),
            title_lang=data.get("title_lang") or "",
            description_lang=data.get("description_lang") or "",
        )


def _texts(item: Event | Session, language: str | None) -> dict[str, str]:
    """Title and description in language (the own language when None), with their languages."""
    locale = language or own_language(item)
    title, title_lang = localized(item, "title", locale)
    description, description_lang = localized(item, "description", locale)
    return {
        "title": title,
        "title_lang": title_lang,
        "description": description or "",
        "description_lang": description_lang,
    }


def event_facts(event: Event, language: str | None = None) -> dict[str, Any]:
    """The event as the snapshot keeps it, its texts in `language` (the recipient's) where it
    has them (not its online link: that goes only to the people who may have it, see
    participants.emails)."""
    return {
        "id": event.id,
        "slug": event.slug,
        **_texts(event, language),
        "kind": event.kind,
        "format": event.format,
        "timezone": event.timezone,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "status": event.status,
        "sequence": event.sequence or 0,
        "venue_name": event.venue_name or "",
        "venue_address": event.venue_address or "",
        "venue_city": event.venue_city or "",
        "venue_country": event.venue_country or "",
        "target_group_codes": event.target_group_codes,
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
    }


def session_facts(session: Session, language: str | None = None) -> dict[str, Any]:
    """The session as the snapshot keeps it, its texts in `language` as event_facts."""
    return {
        "id": session.id,
        **_texts(session, language),
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "room": session.room or "",
        "speakers": list(session.speakers or []),
    }
