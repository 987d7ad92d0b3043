"""Duplicating an event: the same workshop again in another city, on another day, maybe in
another language (Stockholm, then Helsinki, then Vantaa).

The copy keeps the agenda (each session with its texts, translations, room, capacity, speakers
and per-session attendance, at the same distance from the start on the new event's own clock),
the target groups and quotas, the description and translations, kind, format, capacity and
the reminder switch. It gets a new start, zone, place and language (and a new title when one is
given), and its registration window moves with it. It is a draft with a new slug, with no
registrations and every counter at zero. The organisers who manage the source (its creator and
co-organisers) manage the copy too; the one who duplicates it is its creator.

What it takes (the form page and the JSON API alike):
    starts_at   required: ISO 8601 with an offset, or naive local time in `timezone`
    timezone    an IANA name; the source's when left out
    language    sv, en or fi; the source's when left out
    title       a new title (in the new language); left out, the source's in that language
    slug        a wanted URL name; made from the title when left out
    venue       {name, address, city, country}; the source's when left out
    online_url  the source's when left out
    format      the source's when left out
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from core.db import db, write_transaction
from core.errors import ValidationError
from core.models import Organiser
from events.models import LANGUAGES, Event
from events.parsing import (
    VALID_ZONES,
    moment_error,
    parse_event,
    parse_moment,
    slugify,
    unique_slug,
)
from events.queries import require_manage
from events.services import _apply_sessions, _apply_target_groups

LOCAL_TEXT = "%Y-%m-%dT%H:%M:%S"  # naive local time, as parse_event reads it in the zone
_CHOSEN = ("timezone", "language", "format", "online_url", "venue", "title", "slug")


def _wall(moment: datetime, tz: str) -> datetime:
    """The moment on the zone's clock, without the zone (what a person reads off the wall)."""
    return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _texts_in(
    own_title: str, own_description: str, translations: Mapping[str, Any], old: str, new: str
) -> tuple[str, str, dict[str, dict[str, str]]]:
    """An item's own texts and translations when its language goes from old to new: the text
    it has in the new language becomes its own, and the old own text a translation. Without a
    text in the new language the own text stays (the organiser translates it later)."""
    kept = {lang: dict(texts) for lang, texts in (translations or {}).items() if texts}
    if new == old or new not in kept:
        kept.pop(new, None)
        return own_title, own_description, kept
    wanted = kept.pop(new)
    title = wanted.get("title") or own_title
    description = wanted.get("description") or own_description
    moved = {k: v for k, v in (("title", own_title), ("description", own_description)) if v}
    if moved:
        kept[old] = moved
    return title, description, kept


def duplicate_event(organiser: Organiser, event: Event, data: Mapping[str, Any]) -> Event:
    """A draft copy of event at a new time and place (see the module's docstring). Forbidden
    unless the organiser manages the event; ValidationError naming each field that is wrong (a
    start the clocks skip in the new zone, for the event or for one of its sessions, too)."""
    require_manage(organiser, event)
    if not isinstance(data, Mapping):
        raise ValidationError({"": _l("Expected an object.")})
    return _duplicate(organiser, event, data)


@write_transaction()
def _duplicate(organiser: Organiser, event: Event, data: Mapping[str, Any]) -> Event:
    chosen = _chosen(data)
    timezone = chosen.get("timezone", event.timezone)
    language = chosen.get("language", event.language)
    zone = timezone if isinstance(timezone, str) and timezone in VALID_ZONES else event.timezone
    try:
        # The new start on the new zone's clock; a local time the clocks skip is refused.
        start = _wall(parse_moment(data.get("starts_at"), zone), zone)
    except (ValueError, TypeError) as err:
        errors: dict[str, Any] = {"starts_at": moment_error(err)}
        try:  # and what else is wrong with the choices, in the same answer
            parse_event({**_source_data(event, source_start(event), language), **chosen}, None)
        except ValidationError as other:
            errors = {
                key: message
                for key, message in other.fields.items()
                if key.split(".")[0] in _CHOSEN
            } | errors
        raise ValidationError(errors) from None
    parsed = parse_event({**_source_data(event, start, language), **chosen}, None)
    values = parsed.values
    values.pop("status", None)
    slug_wanted = chosen.get("slug") if isinstance(chosen.get("slug"), str) else None
    copy = Event(
        slug=unique_slug(slugify(slug_wanted or values["title"])),
        created_by=organiser,
        status="draft",
        sequence=0,
        send_reminder=event.send_reminder,
        **values,
    )
    _apply_target_groups(copy, parsed.target_groups or [])
    _apply_sessions(copy, parsed.sessions or [])
    for source, session in zip(event.sessions, copy.sessions, strict=True):
        session.track_attendance = source.track_attendance
    team = [o for o in [event.created_by, *event.co_organisers] if o is not None]
    copy.co_organisers = list({o.id: o for o in team if o.id != organiser.id}.values())
    db.session.add(copy)
    db.session.commit()
    return copy


def _chosen(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the caller chose for the copy (the rest comes from the source)."""
    return {key: data[key] for key in _CHOSEN if key in data and data[key] not in (None, "")}


def _source_data(event: Event, start: datetime, language: str) -> dict[str, Any]:
    """The source event as create_event's input, moved so that it starts at `start` (a wall
    time in the new zone): every time at its distance from the start on the source's clock."""
    tz = event.timezone
    origin = _wall(event.starts_at, tz)

    def moved(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return (start + (_wall(moment, tz) - origin)).strftime(LOCAL_TEXT)

    new_language = language if language in LANGUAGES else event.language
    title, description, translations = _texts_in(
        event.title, event.description, event.translations, event.language, new_language
    )
    sessions = []
    for s in event.sessions:
        s_title, s_description, s_translations = _texts_in(
            s.title, s.description, s.translations, event.language, new_language
        )
        sessions.append(
            {
                "title": s_title,
                "description": s_description,
                "translations": s_translations,
                "starts_at": moved(s.starts_at),
                "ends_at": moved(s.ends_at),
                "room": s.room,
                "capacity": s.capacity,
                "speakers": [dict(sp) for sp in s.speakers or []],
            }
        )
    return {
        "title": title,
        "description": description,
        "translations": translations,
        "kind": event.kind,
        "format": event.format,
        "language": event.language,
        "timezone": tz,
        "starts_at": moved(event.starts_at),
        "ends_at": moved(event.ends_at),
        "venue": {
            "name": event.venue_name,
            "address": event.venue_address,
            "city": event.venue_city,
            "country": event.venue_country,
        },
        "online_url": event.online_url,
        "capacity": event.capacity,
        "registration_opens_at": moved(event.registration_opens_at),
        "registration_closes_at": moved(event.registration_closes_at),
        "target_groups": [{"code": tg.code, "quota": tg.quota} for tg in event.target_groups],
        "sessions": sessions,
    }


def source_start(event: Event) -> datetime:
    """The source's start on its own clock, as the form offers it to change."""
    return _wall(event.starts_at, event.timezone)
