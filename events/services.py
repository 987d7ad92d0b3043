"""The rules for events: validation, creating, editing, publishing, cancelling, listing."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import markdown
import nh3
import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from core.addresses import email_key
from core.db import db, utcnow, write_transaction
from core.errors import Forbidden, NotFound, ValidationError
from core.models import Organiser
from events.models import (
    FORMATS,
    KINDS,
    LANGUAGES,
    STATUSES,
    TARGET_GROUPS,
    Event,
    EventTargetGroup,
    Session,
)

# Other features listen here instead of events importing them. Receivers run inside the
# transaction, before commit, so the mail they queue commits or rolls back with the change.
signals = Namespace()
event_rescheduled = signals.signal("event-rescheduled")  # time or place changed
event_cancelled = signals.signal("event-cancelled")
seats_added = signals.signal("seats-added")  # capacity or a quota rose: promote from waitlist

_VALID_ZONES = available_timezones()
MAX_NUMBER = 1_000_000  # capacities and quotas; keeps values inside a database integer

# What raises SEQUENCE in calendar files when it changes.
_SCHEDULE_FIELDS = (
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "venue_address",
    "venue_city",
    "venue_country",
    "online_url",
    "format",
)

TARGET_GROUP_LABELS = {
    "contracting_authority": _l("Contracting authorities"),
    "supplier": _l("Suppliers"),
    "decision_maker": _l("Decision-makers"),
    "civil_society": _l("Civil society and social economy"),
    "matchmaker": _l("Matchmakers (labour-market units)"),
    "other": _l("Others (research, press…)"),
}
KIND_LABELS = {
    "conference": _l("Conference"),
    "workshop": _l("Workshop"),
    "webinar": _l("Webinar"),
}
FORMAT_LABELS = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "hybrid": _l("Hybrid (in person and online)"),
}
LANGUAGE_LABELS = {"sv": _l("Swedish"), "en": _l("English"), "fi": _l("Finnish")}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": lazy_pgettext("event status", "Cancelled"),
}


# --- parsing ---------------------------------------------------------------------------------


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "event"


def _unique_slug(base: str) -> str:
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
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key] = _l("Must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[key] = _l("This field is required.")
    elif len(value) > max_len:
        errors[key] = _l("At most %(n)s characters.", n=max_len)
    return value


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
class _Parsed:
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


def _parse_sessions(raw: Any, tz: str, errors: dict) -> list[dict[str, Any]]:
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
            "title": _text(item, "title", errs, max_len=200, required=True),
            "description": _text(item, "description", errs, max_len=10000),
            "room": _text(item, "room", errs, max_len=100),
            "capacity": _int_or_none(item.get("capacity"), "capacity", errs),
            "speakers": _parse_speakers(item.get("speakers"), "speakers", errs),
        }
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


def _parse(data: Mapping[str, Any], current: Event | None) -> _Parsed:
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
        values["title"] = _text(data, "title", errors, max_len=200, required=True)
    if present("description"):
        values["description"] = _text(data, "description", errors, max_len=50000)
    for key, choices in (("kind", KINDS), ("format", FORMATS), ("language", LANGUAGES)):
        if present(key):
            values[key] = _choice(data, key, choices, errors)
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

    groups = (
        _parse_target_groups(data.get("target_groups"), errors)
        if present("target_groups")
        else None
    )
    if creating and not groups and "target_groups" not in errors:
        groups = [(code, None) for code in TARGET_GROUPS]  # open to everyone unless narrowed
    sessions = (
        _parse_sessions(data.get("sessions") or [], tz, errors) if present("sessions") else None
    )

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
    return _Parsed(values, groups, sessions, co_organisers)


# --- changing events -------------------------------------------------------------------------


def can_manage(organiser: Organiser, event: Event) -> bool:
    return (
        organiser.is_admin
        or event.created_by_id == organiser.id
        or any(o.id == organiser.id for o in event.co_organisers)
    )


def require_manage(organiser: Organiser, event: Event) -> None:
    if not can_manage(organiser, event):
        raise Forbidden(_l("You are not an organiser of this event."))


def _apply_target_groups(event: Event, groups: list[tuple[str, int | None]]) -> bool:
    """Replace the admitted groups; True when some quota rose or was lifted."""
    old = {tg.code: tg.quota for tg in event.target_groups}
    by_code = {tg.code: tg for tg in event.target_groups}
    raised = False
    keep = []
    for code, quota in groups:
        tg = by_code.get(code) or EventTargetGroup(code=code)
        if code in old and old[code] is not None and (quota is None or quota > old[code]):
            raised = True
        tg.quota = quota
        keep.append(tg)
    event.target_groups = keep
    return raised


def _apply_sessions(event: Event, sessions: list[dict[str, Any]]) -> tuple[bool, bool]:
    """Replace the agenda, keeping rows whose id is given. Returns (times changed, seats added)."""
    existing = {s.id: s for s in event.sessions}
    moved = raised = False
    keep = []
    for data in sessions:
        session = existing.get(data.pop("id", None)) if data.get("id") is not None else None
        if session is None:
            session = Session()
        else:
            moved |= session.starts_at != data["starts_at"] or session.ends_at != data["ends_at"]
            moved |= session.room != data["room"]
            old_cap = session.capacity
            raised |= old_cap is not None and (
                data["capacity"] is None or data["capacity"] > old_cap
            )
        for key, value in data.items():
            if key != "id":
                setattr(session, key, value)
        keep.append(session)
    moved |= len(keep) != len(existing) or any(s.id not in existing for s in keep)
    event.sessions = keep
    return moved, raised


@write_transaction()
def create_event(organiser: Organiser, data: Mapping[str, Any]) -> Event:
    parsed = _parse(data, None)
    values = parsed.values
    status = values.pop("status", "draft")
    slug_wanted = data.get("slug") if isinstance(data.get("slug"), str) else None
    event = Event(
        slug=_unique_slug(slugify(slug_wanted or values["title"])),
        created_by=organiser,
        status="draft",
        sequence=0,
        **values,
    )
    _apply_target_groups(event, parsed.target_groups or [])
    _apply_sessions(event, parsed.sessions or [])
    if parsed.co_organisers is not None:
        event.co_organisers = parsed.co_organisers
    db.session.add(event)
    if status == "published":
        event.status = "published"
        event.published_at = utcnow()
    db.session.commit()
    return event


@write_transaction()
def update_event(organiser: Organiser, event: Event, data: Mapping[str, Any]) -> Event:
    """Change the fields given. Time or place changes raise SEQUENCE and notify registrants."""
    require_manage(organiser, event)
    parsed = _parse(data, event)
    values = parsed.values
    status = values.pop("status", None)
    before = {key: getattr(event, key) for key in _SCHEDULE_FIELDS}
    old_capacity = event.capacity
    for key, value in values.items():
        setattr(event, key, value)
    seats = old_capacity is not None and (event.capacity is None or event.capacity > old_capacity)
    if parsed.target_groups is not None:
        seats |= _apply_target_groups(event, parsed.target_groups)
    sessions_moved = False
    if parsed.sessions is not None:
        sessions_moved, raised = _apply_sessions(event, parsed.sessions)
        seats |= raised
    if parsed.co_organisers is not None:
        event.co_organisers = parsed.co_organisers
    rescheduled = sessions_moved or any(getattr(event, k) != v for k, v in before.items())
    if rescheduled:
        event.sequence += 1
    db.session.flush()
    if status == "published" and event.status == "draft":
        publish_event(organiser, event, commit=False)
    elif status == "cancelled" and event.status != "cancelled":
        cancel_event(organiser, event, commit=False)
    elif status == "draft" and event.status != "draft":
        raise ValidationError({"status": _l("A published event cannot go back to draft.")})
    if rescheduled and event.status == "published":
        event_rescheduled.send(event)
    if seats and event.status == "published":
        seats_added.send(event)
    db.session.commit()
    return event


@write_transaction()
def publish_event(organiser: Organiser, event: Event, *, commit: bool = True) -> Event:
    require_manage(organiser, event)
    if event.status == "cancelled":
        raise ValidationError({"status": _l("A cancelled event cannot be published again.")})
    if event.status == "draft":
        event.status = "published"
        event.published_at = utcnow()
    if commit:
        db.session.commit()
    return event


@write_transaction()
def cancel_event(organiser: Organiser, event: Event, *, commit: bool = True) -> Event:
    """The page stays, marked cancelled; registrants are told and calendars drop the event."""
    require_manage(organiser, event)
    if event.status != "cancelled":
        was_public = event.status == "published"
        event.status = "cancelled"
        event.sequence += 1
        db.session.flush()
        if was_public:
            event_cancelled.send(event)
    if commit:
        db.session.commit()
    return event


@write_transaction()
def delete_draft(organiser: Organiser, event: Event) -> None:
    require_manage(organiser, event)
    if event.status != "draft":
        raise ValidationError(
            {"status": _l("Only drafts can be deleted; cancel a published event instead.")}
        )
    db.session.delete(event)
    db.session.commit()


# --- reading ---------------------------------------------------------------------------------


def _find_event(slug: str, *, agenda: bool = False) -> Event:
    """The event with this slug, any status; NotFound when there is none. `agenda` loads its
    sessions and target groups with it (the public page and the API show them)."""
    query = sa.select(Event).where(Event.slug == slug)
    if agenda:
        query = query.options(selectinload(Event.sessions), selectinload(Event.target_groups))
    event = db.session.scalar(query)
    if event is None:
        raise NotFound(_l("There is no such event."))
    return event


def visible_event(slug: str, organiser: Organiser | None = None) -> Event:
    """The event as the caller may see it: a published or cancelled event for everyone; a draft
    only for an organiser who manages it (otherwise NotFound, as if it did not exist).

    The API passes the token's organiser. The public HTML pages pass None on purpose: they are
    cached for visitors and never show a draft; organisers see drafts in /manage."""
    event = _find_event(slug, agenda=True)
    if event.status == "draft" and (organiser is None or not can_manage(organiser, event)):
        raise NotFound(_l("There is no such event."))
    return event


def get_public_event(slug: str) -> Event:
    """A published or cancelled event; drafts do not exist for the public."""
    return visible_event(slug, None)


def get_managed_event(organiser: Organiser, slug: str) -> Event:
    """An event the organiser manages, any status; NotFound or Forbidden otherwise."""
    event = _find_event(slug)
    require_manage(organiser, event)
    return event


@dataclass
class EventFilters:
    kind: str | None = None
    format: str | None = None
    language: str | None = None
    city: str | None = None  # a city name, or "online"
    target_group: str | None = None

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> EventFilters:
        """Read the list filters (kind, format, language or lang_filter, city, target_group);
        an empty value means no filter. Raises ValidationError naming each unknown value: the
        API answers 422, the HTML pages show it (core.filters)."""
        errors: dict[str, Any] = {}

        def pick(key: str, choices: tuple[str, ...]) -> str | None:
            value = args.get(key) or None
            if value is not None and value not in choices:
                errors[key] = _l("Choose one of: %(choices)s.", choices=", ".join(choices))
                return None
            return value

        city = args.get("city")
        city = city.strip() if isinstance(city, str) else ""
        filters = cls(
            kind=pick("kind", KINDS),
            format=pick("format", FORMATS),
            language=pick("language", LANGUAGES) or pick("lang_filter", LANGUAGES),
            city=city[:100] or None,
            target_group=pick("target_group", TARGET_GROUPS),
        )
        if errors:
            raise ValidationError(errors)
        return filters


def public_events_query(past: bool = False, filters: EventFilters | None = None) -> sa.Select:
    """Published and cancelled events, upcoming (not yet ended) or past, filtered."""
    now = utcnow()
    query = sa.select(Event).where(Event.status != "draft")
    if past:
        query = query.where(Event.ends_at < now).order_by(Event.starts_at.desc(), Event.id)
    else:
        query = query.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    f = filters or EventFilters()
    if f.kind:
        query = query.where(Event.kind == f.kind)
    if f.format:
        query = query.where(Event.format == f.format)
    if f.language:
        query = query.where(Event.language == f.language)
    if f.city == "online":
        query = query.where(Event.format.in_(("online", "hybrid")))
    elif f.city:
        query = query.where(sa.func.lower(Event.venue_city) == f.city.lower())
    if f.target_group:
        query = query.where(Event.target_groups.any(EventTargetGroup.code == f.target_group))
    return query.options(selectinload(Event.target_groups))


def list_public_events(
    past: bool = False, filters: EventFilters | None = None, page: int = 1, per_page: int = 10
):
    """One page of events (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(
        public_events_query(past, filters), page=page, per_page=per_page, error_out=False
    )


def cities() -> list[str]:
    """Cities with upcoming public events, for the filter."""
    rows = db.session.scalars(
        sa.select(Event.venue_city)
        .where(Event.status != "draft", Event.ends_at >= utcnow(), Event.venue_city != "")
        .distinct()
        .order_by(Event.venue_city)
    )
    return list(rows)


def organiser_events(organiser: Organiser) -> list[Event]:
    """The events an organiser manages, nearest first, then past ones."""
    query = sa.select(Event).options(selectinload(Event.target_groups))
    if not organiser.is_admin:
        query = query.where(
            sa.or_(
                Event.created_by_id == organiser.id,
                Event.co_organisers.any(Organiser.id == organiser.id),
            )
        )
    now = utcnow()
    events = list(db.session.scalars(query.order_by(Event.starts_at, Event.id)))
    upcoming = [e for e in events if e.ends_at >= now]
    past = [e for e in events if e.ends_at < now]
    return upcoming + past[::-1]


@functools.lru_cache(maxsize=2048)
def render_description(text: str) -> Markup:
    """Markdown to HTML, sanitised by nh3 so organisers' text cannot inject script. Cached:
    the same text always gives the same HTML, and building a Markdown parser costs ~1 ms."""
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    return Markup(nh3.clean(html, tags=nh3.ALLOWED_TAGS - {"img"}))
