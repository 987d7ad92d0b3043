"""Reading what organisers and the API send about an event: fields, times in the event's zone
(a time the clocks skip is refused), target groups, speakers and the agenda. One parser for the
HTML forms and the JSON API; the rules it checks name each field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.addresses import email_key
from core.db import db
from core.errors import ValidationError
from core.models import Organiser
from core.text import text_field
from events.models import (
    FORMATS,
    KINDS,
    LANGUAGES,
    STATUSES,
    TARGET_GROUPS,
    Event,
)

_VALID_ZONES = available_timezones()
VALID_ZONES = _VALID_ZONES  # the IANA names the event's `timezone` may take
MAX_NUMBER = 1_000_000  # capacities and quotas; keeps values inside a database integer


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "event"


def unique_slug(base: str) -> str:
    taken = set(db.session.scalars(sa.select(Event.slug).where(Event.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class NonexistentTime(ValueError):
    """A local time the clocks skip (the spring change): it never happens in that zone."""

    def __init__(self, moment: datetime, tz: str) -> None:
        super().__init__(f"{moment:%Y-%m-%d %H:%M} does not exist in {tz}")
        self.message = _l(
            "%(time)s on %(date)s does not exist in %(zone)s: the clocks go forward then. "
            "Choose a time before or after the change.",
            time=f"{moment:%H:%M}",
            date=f"{moment:%Y-%m-%d}",
            zone=tz,
        )


def parse_moment(value: Any, tz: str) -> datetime:
    """ISO 8601 with an offset, or naive local time in the zone tz. ValueError if neither,
    NonexistentTime for a local time inside the spring gap. A local time that happens twice
    (the autumn hour) is the first of the two (fold=0), as summer time. Returned in UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError("empty")
    if not 1900 <= moment.year <= 2200:  # far-off years overflow when converted to UTC
        raise ValueError("out of range")
    if moment.tzinfo is None:
        zone = ZoneInfo(tz)
        moment = moment.replace(tzinfo=zone, fold=0)
        # zoneinfo never refuses a time in the gap; the round trip through UTC moves it.
        if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(
            tzinfo=None
        ):
            raise NonexistentTime(moment, tz)
    # In UTC: datetimes in one zone compare by wall clock, and one in the repeated autumn hour
    # never equals a datetime in another zone (PEP 495), so "changed?" and "after the start?"
    # are asked of instants.
    return moment.astimezone(UTC)


def moment_error(err: Exception) -> Any:
    """The message for a date and time parse_moment refused."""
    if isinstance(err, NonexistentTime):
        return err.message
    return _l("Give a date and time, such as 2026-12-13T09:00.")


def _text(data: Mapping[str, Any], key: str, errors: dict, *, max_len: int, required: bool = False):
    return text_field(data.get(key), key, errors, max_len, required)


def _int_or_none(value: Any, key: str, errors: dict) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[key] = _l("Must be a whole number of 0 or more.")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        errors[key] = _l("Must be a whole number of 0 or more.")
        return None
    if number > MAX_NUMBER:
        errors[key] = _l("At most %(n)s.", n=MAX_NUMBER)
        return None
    if number < 0 or (isinstance(value, float) and not value.is_integer()):
        errors[key] = _l("Must be a whole number of 0 or more.")
        return None
    return number


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], errors: dict) -> str:
    value = data.get(key)
    if value not in choices:
        errors[key] = _l("Choose one of: %(choices)s.", choices=", ".join(choices))
    return value


@dataclass
class ParsedEvent:
    values: dict[str, Any]
    target_groups: list[tuple[str, int | None]] | None
    sessions: list[dict[str, Any]] | None
    co_organisers: list[Organiser] | None


def _parse_target_groups(raw: Any, errors: dict) -> list[tuple[str, int | None]]:
    if not isinstance(raw, list):
        errors["target_groups"] = _l("Must be a list of target groups.")
        return []
    groups: list[tuple[str, int | None]] = []
    for item in raw:
        code, quota = (item, None) if isinstance(item, str) else (None, None)
        if isinstance(item, Mapping):
            code = item.get("code")
            quota = _int_or_none(item.get("quota"), "target_groups", errors)
        if code not in TARGET_GROUPS:
            errors["target_groups"] = _l(
                "Unknown target group %(code)s. Use: %(codes)s.",
                code=code,
                codes=", ".join(TARGET_GROUPS),
            )
            continue
        if any(code == c for c, _q in groups):
            errors["target_groups"] = _l("Target group %(code)s is listed twice.", code=code)
            continue
        groups.append((code, quota))
    return groups


def _parse_speakers(raw: Any, key: str, errors: dict) -> list[dict[str, str]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors[key] = _l("Speakers must be a list of names and organisations.")
        return []
    speakers = []
    for item in raw:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping) or not str(item.get("name") or "").strip():
            errors[key] = _l("Every speaker needs a name.")
            continue
        speakers.append(
            {
                "name": str(item["name"]).strip()[:200],
                "organisation": str(item.get("organisation") or "").strip()[:200],
            }
        )
    return speakers


TITLE_MAX = 200
EVENT_DESCRIPTION_MAX = 50000
SESSION_DESCRIPTION_MAX = 10000


def parse_translations(
    raw: Any, own: str | None, errors: dict, prefix: str, *, description_max: int
) -> dict[str, dict[str, str]]:
    """The title and description in other languages than the own one (events/content.py):
    {"en": {"title", "description"}, "fi": {…}}. Only sv, en and fi; the lengths of the own
    fields; empty texts are dropped; a text in the own language (own) is refused, since the
    own fields hold it. null is no translations. Errors are named prefix.<lang>.<field>."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors[prefix] = _l("Must be an object keyed by language: sv, en or fi.")
        return {}
    kept: dict[str, dict[str, str]] = {}
    for lang, texts in raw.items():
        name = f"{prefix}.{lang}"
        if lang not in LANGUAGES:
            errors[name] = _l(
                "Unknown language %(lang)s. Use: %(langs)s.", lang=lang, langs=", ".join(LANGUAGES)
            )
            continue
        if texts is None:
            continue
        if not isinstance(texts, Mapping):
            errors[name] = _l("Expected an object with title and description.")
            continue
        errs: dict[str, Any] = {}
        given = {
            "title": _text(texts, "title", errs, max_len=TITLE_MAX),
            "description": _text(texts, "description", errs, max_len=description_max),
        }
        given = {field: text for field, text in given.items() if text}
        if given and lang == own and not errs:
            errs[next(iter(given))] = _l(
                "This is the event's own language: its text goes in the title and description."
            )
        errors.update({f"{name}.{field}": message for field, message in errs.items()})
        if given and not errs:
            kept[lang] = given
    return kept


def _parse_sessions(raw: Any, tz: str, errors: dict, own: str | None) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        errors["sessions"] = _l("Must be a list of sessions.")
        return []
    sessions = []
    for i, item in enumerate(raw):
        prefix = f"sessions[{i}]"
        if not isinstance(item, Mapping):
            errors[prefix] = _l("Each session must be an object.")
            continue
        errs: dict[str, Any] = {}
        session: dict[str, Any] = {
            "id": item.get("id") if type(item.get("id")) is int else None,
            "title": _text(item, "title", errs, max_len=TITLE_MAX, required=True),
            "description": _text(item, "description", errs, max_len=SESSION_DESCRIPTION_MAX),
            "room": _text(item, "room", errs, max_len=100),
            "capacity": _int_or_none(item.get("capacity"), "capacity", errs),
            "speakers": _parse_speakers(item.get("speakers"), "speakers", errs),
        }
        if "track_attendance" in item:  # left out: a kept session keeps its choice
            if type(item["track_attendance"]) is bool:
                session["track_attendance"] = item["track_attendance"]
            else:
                errs["track_attendance"] = _l("Must be true or false.")
        if "translations" in item:  # left out: a kept session keeps its translations
            session["translations"] = parse_translations(
                item.get("translations"),
                own,
                errs,
                "translations",
                description_max=SESSION_DESCRIPTION_MAX,
            )
        for key in ("starts_at", "ends_at"):
            try:
                session[key] = parse_moment(item.get(key), tz)
            except (ValueError, TypeError) as err:
                errs[key] = moment_error(err)
        if (
            "starts_at" in session
            and "ends_at" in session
            and (session["ends_at"] <= session["starts_at"])
        ):
            errs["ends_at"] = _l("The end must be after the start.")
        errors.update({f"{prefix}.{k}": v for k, v in errs.items()})
        sessions.append(session)
    return sessions


def parse_event(data: Mapping[str, Any], current: Event | None) -> ParsedEvent:
    """Validate the fields present in data (all of them when creating); ValidationError if any
    is wrong, naming each field."""
    if not isinstance(data, Mapping):
        raise ValidationError({"": _l("Expected an object.")})
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    creating = current is None

    def present(key: str) -> bool:
        return creating or key in data

    if present("title"):
        values["title"] = _text(data, "title", errors, max_len=TITLE_MAX, required=True)
    if present("description"):
        values["description"] = _text(data, "description", errors, max_len=EVENT_DESCRIPTION_MAX)
    for key, choices in (("kind", KINDS), ("format", FORMATS), ("language", LANGUAGES)):
        if present(key):
            values[key] = _choice(data, key, choices, errors)
    # The language the own fields are written in after this change (None when it is wrong).
    own = values.get("language") if "language" in values else getattr(current, "language", None)
    own = own if own in LANGUAGES else None
    if "translations" in data:
        values["translations"] = parse_translations(
            data.get("translations"),
            own,
            errors,
            "translations",
            description_max=EVENT_DESCRIPTION_MAX,
        )
    if "status" in data:
        allowed = ("draft", "published") if creating else STATUSES
        values["status"] = _choice(data, "status", allowed, errors)
    if present("timezone"):
        tz = data.get("timezone") or "Europe/Stockholm"
        if not isinstance(tz, str) or tz not in _VALID_ZONES:
            errors["timezone"] = _l("Unknown time zone. Use an IANA name such as Europe/Helsinki.")
        else:
            values["timezone"] = tz
    tz = values.get("timezone") or (current.timezone if current else "Europe/Stockholm")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        tz = "Europe/Stockholm"

    for key in ("starts_at", "ends_at"):
        if present(key):
            try:
                values[key] = parse_moment(data.get(key), tz)
            except (ValueError, TypeError) as err:
                errors[key] = moment_error(err)
    for key in ("registration_opens_at", "registration_closes_at"):
        if key in data:
            if data.get(key) in (None, ""):
                values[key] = None
                continue
            try:
                values[key] = parse_moment(data.get(key), tz)
            except (ValueError, TypeError) as err:
                errors[key] = moment_error(err)

    if present("venue"):
        venue = data.get("venue") or {}
        if not isinstance(venue, Mapping):
            errors["venue"] = _l("The venue must be an object with name, address, city, country.")
            venue = {}
        for part, size in (("name", 200), ("address", 300), ("city", 100), ("country", 100)):
            errs: dict[str, Any] = {}
            values[f"venue_{part}"] = _text(venue, part, errs, max_len=size)
            if errs:
                errors[f"venue.{part}"] = errs[part]
    if present("online_url"):
        url = _text(data, "online_url", errors, max_len=500)
        if url and not re.match(r"^https?://\S+$", url):
            errors["online_url"] = _l("Give a web address starting with https://.")
        values["online_url"] = url
    if present("capacity"):
        values["capacity"] = _int_or_none(data.get("capacity"), "capacity", errors)
    if "send_reminder" in data:  # left out on creation: on (the column's default)
        if isinstance(data["send_reminder"], bool):
            values["send_reminder"] = data["send_reminder"]
        else:
            errors["send_reminder"] = _l("Must be true or false.")

    groups = (
        _parse_target_groups(data.get("target_groups"), errors)
        if present("target_groups")
        else None
    )
    if creating and not groups and "target_groups" not in errors:
        groups = [(code, None) for code in TARGET_GROUPS]  # open to everyone unless narrowed
    sessions = None
    if present("sessions"):
        sessions = _parse_sessions(data.get("sessions") or [], tz, errors, own)

    co_organisers = None
    if "co_organisers" in data:
        raw = data.get("co_organisers") or []
        if not isinstance(raw, list):
            errors["co_organisers"] = _l("Must be a list of organisers' emails.")
        else:
            co_organisers = []
            for email in raw:
                organiser = db.session.scalar(
                    sa.select(Organiser).where(Organiser.email == email_key(str(email)))
                )
                if organiser is None:
                    errors["co_organisers"] = _l(
                        "No organiser has the email %(email)s.", email=email
                    )
                else:
                    co_organisers.append(organiser)

    # Rules across fields, on the values the event will have after this change.
    def final(key: str) -> Any:
        return values[key] if key in values else getattr(current, key, None)

    starts, ends = final("starts_at"), final("ends_at")
    if isinstance(starts, datetime) and isinstance(ends, datetime) and ends <= starts:
        errors.setdefault("ends_at", _l("The end must be after the start."))
    opens, closes = final("registration_opens_at"), final("registration_closes_at")
    if opens and closes and closes <= opens:
        errors.setdefault("registration_closes_at", _l("Registration must close after it opens."))
    if isinstance(starts, datetime) and isinstance(ends, datetime):
        for i, session in enumerate(sessions or []):
            s, e = session.get("starts_at"), session.get("ends_at")
            if s and e and (s < starts or e > ends):
                errors.setdefault(
                    f"sessions[{i}].starts_at",
                    _l("The session must take place within the event's start and end."),
                )
    fmt = final("format")
    if (
        fmt in ("in_person", "hybrid")
        and "venue_name" in values
        and not (values.get("venue_name") or values.get("venue_city"))
    ):
        errors.setdefault("venue.name", _l("An in-person or hybrid event needs a venue."))

    if errors:
        raise ValidationError(errors)
    return ParsedEvent(values, groups, sessions, co_organisers)
