"""An event and its sessions as plain facts: what an email or a calendar part needs to know of
them, taken in the transaction that queues a message and kept as JSON in its outbox row.

`event_facts(event, language)` / `session_facts(session, language)` take the snapshot (JSON:
datetimes as ISO text), the title and description in the reader's language where the event has
them and in its own otherwise (events.content.localized; `title_lang` and `description_lang`
say which); `EventFacts.from_json` / `SessionFacts.from_json` give it back as objects with the same
attribute names as the models, so the email templates and events.calendar read either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.content import localized, own_language
from events.models import LANGUAGES, Event, Session


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


# --- what a change of time or place was: the notice's "Was … Now …" ---------------------------

_TIME_FIELDS = ("starts_at", "ends_at", "timezone")
PLACE_FIELDS = ("format", "venue_name", "venue_address", "venue_city", "venue_country")


def agenda_snapshot(sessions: Sequence[Session]) -> list[dict[str, Any]]:
    """The agenda as a change compares it: each session's id, time and room, and its title in
    every language (a removed session's title is still needed in each recipient's)."""
    return [
        {
            "id": s.id,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "room": s.room or "",
            "titles": {lang: localized(s, "title", lang).text for lang in LANGUAGES},
        }
        for s in sessions
    ]


def agenda_changes(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], language: str
) -> list[dict[str, Any]]:
    """The sessions whose time or room changed, that were added or removed (agenda_snapshot's
    items, matched by id), in agenda order, titles in `language`; JSON (ISO times). The same
    test as events.services' for raising SEQUENCE and telling registrants."""
    old = {item["id"]: item for item in before if item.get("id") is not None}
    kept = {item["id"] for item in after if item.get("id") in old}
    changes: list[dict[str, Any]] = []

    def entry(item: Mapping[str, Any], change: str) -> dict[str, Any]:
        titles = item["titles"]
        return {
            "change": change,
            "title": titles.get(language) or next(iter(titles.values()), ""),
            "starts_at": item["starts_at"].isoformat(),
            "ends_at": item["ends_at"].isoformat(),
            "room": item["room"] or "",
        }

    for item in after:
        was = old.get(item.get("id"))
        if was is None:
            changes.append(entry(item, "added"))
        elif (was["starts_at"], was["ends_at"], was["room"] or "") != (
            item["starts_at"],
            item["ends_at"],
            item["room"] or "",
        ):
            changes.append(
                {
                    **entry(item, "moved"),
                    "was_starts_at": was["starts_at"].isoformat(),
                    "was_ends_at": was["ends_at"].isoformat(),
                    "was_room": was["room"] or "",
                }
            )
    changes += [entry(item, "removed") for item in before if item.get("id") not in kept]
    return changes


def previous_facts(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    agenda: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """What the time, place and agenda were before a change, as the notice's snapshot keeps it
    (`previous`): the old span and zone when the time changed, the old place when the place
    changed, and the sessions changed (agenda_changes). `before` and `after` hold the event's
    schedule fields. None when none of these changed. The notice queued for each registrant and
    the organiser's preview of it (events.changes) are both made here."""
    time_changed = any(before.get(key) != after.get(key) for key in _TIME_FIELDS)
    place_changed = any((before.get(key) or "") != (after.get(key) or "") for key in PLACE_FIELDS)
    if not (time_changed or place_changed or agenda):
        return None
    previous = {
        "time_changed": time_changed,
        "place_changed": place_changed,
        "starts_at": before["starts_at"].isoformat(),
        "ends_at": before["ends_at"].isoformat(),
        "timezone": before.get("timezone") or after.get("timezone"),
        **{key: before.get(key) or "" for key in PLACE_FIELDS},
    }
    if agenda:
        previous["sessions"] = agenda
    return previous
