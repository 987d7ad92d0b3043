"""Reading what organisers and the API send about a material: one parser for the HTML form and
the JSON API, naming each bad field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db
from core.errors import ValidationError
from core.text import text_field
from events.models import LANGUAGES, TARGET_GROUPS, Event, Session
from events.parsing import parse_translations
from materials.models import AUDIENCES, CATEGORIES

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TAG_MAX = 60
MAX_TAGS = 20
URL_MAX = 2000


@dataclass
class ParsedMaterial:
    values: dict[str, Any] = field(default_factory=dict)  # columns to set
    labels: dict[str, list[str]] | None = None  # kind -> values, for the kinds given
    events: list[Event] | None = None
    sessions: list[Session] | None = None
    audience_events: list[Event] | None = None


def _codes(raw: Any, key: str, choices: tuple[str, ...], errors: dict) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or any(c not in choices for c in raw):
        errors[key] = _l("Choose one of: %(choices)s.", choices=", ".join(choices))
        return []
    return list(dict.fromkeys(raw))


def parse_url(raw: Any, errors: dict) -> str | None:
    text = text_field(raw, "url", errors, URL_MAX)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in text:
        errors["url"] = _l("Give a web address that starts with http:// or https://.")
        return None
    return text


def _tags(raw: Any, errors: dict) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [t for t in raw.split(",")]
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        errors["tags"] = _l("Must be a list of words.")
        return []
    tags = [" ".join(t.split()) for t in raw]
    tags = list(dict.fromkeys(t for t in tags if t))
    if len(tags) > MAX_TAGS or any(len(t) > TAG_MAX for t in tags):
        errors["tags"] = _l("At most %(n)s tags of at most 60 characters each.", n=MAX_TAGS)
        return []
    return tags


def _events(raw: Any, key: str, errors: dict) -> list[Event]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        errors[key] = _l("Must be a list of event names (slugs).")
        return []
    slugs = list(dict.fromkeys(raw))
    found = {e.slug: e for e in db.session.scalars(sa.select(Event).where(Event.slug.in_(slugs)))}
    missing = [s for s in slugs if s not in found]
    if missing:
        errors[key] = _l("No such event: %(slugs)s.", slugs=", ".join(missing[:5]))
        return []
    return [found[s] for s in slugs]


def _sessions(raw: Any, events: list[Event], errors: dict) -> list[Session]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        errors["sessions"] = _l("Must be a list of session ids.")
        return []
    own = {s.id: s for e in events for s in e.sessions}
    if any(i not in own for i in raw):
        errors["sessions"] = _l("Choose sessions of the material's events.")
        return []
    return [own[i] for i in dict.fromkeys(raw)]


def parse_audience(raw: Any, errors: dict) -> tuple[str, list[Event], list[str]]:
    """{"kind", "events": [slug], "target_groups": [code]} -> (kind, events, groups)."""
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, Mapping):
        errors["audience"] = _l("Expected an object.")
        return "public", [], []
    kind = raw.get("kind")
    if kind not in AUDIENCES:
        errors["audience.kind"] = _l("Choose one of: %(choices)s.", choices=", ".join(AUDIENCES))
        return "public", [], []
    events = _events(raw.get("events"), "audience.events", errors)
    groups = _codes(raw.get("target_groups"), "audience.target_groups", TARGET_GROUPS, errors)
    if kind in ("registrants", "attendees") and not events and "audience.events" not in errors:
        errors["audience.events"] = _l("Choose the events whose people may have it.")
    if kind in ("public", "organisers"):
        events, groups = [], []
    return kind, events, groups


def parse_material(data: Mapping[str, Any], current: Any = None) -> ParsedMaterial:
    """The fields given (all of them for a new material, current None); ValidationError
    naming every bad field."""
    errors: dict[str, Any] = {}
    parsed = ParsedMaterial()

    def present(key: str) -> bool:
        return current is None or key in data

    if present("title"):
        parsed.values["title"] = text_field(data.get("title"), "title", errors, TITLE_MAX, True)
    if present("description"):
        parsed.values["description"] = text_field(
            data.get("description"), "description", errors, DESCRIPTION_MAX
        )
    if present("category"):
        if data.get("category") not in CATEGORIES:
            errors["category"] = _l("Choose one of: %(choices)s.", choices=", ".join(CATEGORIES))
        parsed.values["category"] = data.get("category")
    own = current.language if current is not None else "sv"
    if present("language"):
        own = data.get("language") or "sv"
        if own not in LANGUAGES:
            errors["language"] = _l("Choose one of: %(choices)s.", choices=", ".join(LANGUAGES))
        parsed.values["language"] = own
    if present("translations"):
        parsed.values["translations"] = parse_translations(
            data.get("translations"), own, errors, "translations", description_max=DESCRIPTION_MAX
        )
    if present("url"):
        parsed.values["url"] = parse_url(data.get("url"), errors)
    labels: dict[str, list[str]] = {}
    if present("languages"):
        labels["language"] = _codes(data.get("languages"), "languages", LANGUAGES, errors)
    if present("target_groups"):
        labels["target_group"] = _codes(
            data.get("target_groups"), "target_groups", TARGET_GROUPS, errors
        )
    if present("tags"):
        labels["tag"] = _tags(data.get("tags"), errors)
    if present("events"):
        parsed.events = _events(data.get("events"), "events", errors)
    if present("sessions") or present("events"):
        events = parsed.events if parsed.events is not None else list(current.events)
        parsed.sessions = _sessions(data.get("sessions"), events, errors)
    if present("audience"):
        kind, audience_events, groups = parse_audience(data.get("audience", "public"), errors)
        parsed.values["audience"] = kind
        parsed.audience_events = audience_events
        labels["audience_group"] = groups
    parsed.labels = labels
    if errors:
        raise ValidationError(errors)
    return parsed
