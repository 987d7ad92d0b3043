"""Finding and listing events: who may see or manage one, the public lists and their filters,
an organiser's own events, and an event's description as safe HTML."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import markdown
import nh3
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from core.audit import register_event_titles
from core.db import db, folded, read_row_now, utcnow
from core.errors import Forbidden, NotFound, ValidationError
from core.i18n import current_language
from core.models import Organiser
from core.pushed_versions import PushedVersions
from events.content import TRANSLATABLE
from events.models import (
    FORMATS,
    KINDS,
    LANGUAGES,
    TARGET_GROUPS,
    Event,
    EventTargetGroup,
)


@register_event_titles
def event_titles(ids: Iterable[int]) -> dict[int, str]:
    """The events' titles by id, in their own language (the admins' audit log names them)."""
    rows = db.session.execute(sa.select(Event.id, Event.title).where(Event.id.in_(list(ids))))
    return {event_id: title for event_id, title in rows}


def can_manage(organiser: Organiser, event: Event) -> bool:
    return (
        organiser.is_admin
        or event.created_by_id == organiser.id
        or any(o.id == organiser.id for o in event.co_organisers)
    )


def require_manage(organiser: Organiser, event: Event) -> None:
    if not can_manage(organiser, event):
        raise Forbidden(_l("You are not an organiser of this event."))


def _find_event(slug: str, *, agenda: bool = False) -> Event:
    """The event with this slug, any status; NotFound when there is none. `agenda` loads its
    sessions and target groups with it in the same query (the public page, the registration and
    the API show them): a join, since each extra SELECT costs more than the few repeated rows."""
    query = sa.select(Event).where(Event.slug == slug)
    if agenda:
        query = query.options(joinedload(Event.sessions), joinedload(Event.target_groups))
    event = db.session.execute(query).unique().scalar_one_or_none()
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


# The cache's look-ups are built once and run outside the ORM session on the connection each
# thread keeps for them (core.db.read_now): a remembered page costs a few hundredths of a
# millisecond of database work. On PostgreSQL the event's version is pushed to each process
# instead (core/pushed_versions.py, the trigger of migration a7e3c9d1f2b4): a hit asks nothing.
_PAGE_VERSION = sa.select(Event.version).where(
    Event.slug == sa.bindparam("slug"), Event.status != "draft"
)
_LISTS_VERSION = sa.select(
    sa.func.coalesce(sa.func.sum(Event.version), 0),
    sa.func.count(),
    sa.func.coalesce(sa.func.sum(sa.case((Event.ends_at < sa.bindparam("now"), 1), else_=0)), 0),
).where(Event.status != "draft")
_PUSHED = PushedVersions("event_version", ("event_version_notify", "event_version_notify_truncate"))


_PAGE_VERSION_SQL = "SELECT version FROM event WHERE slug = %(slug)s AND status <> 'draft'"
_LISTS_VERSION_SQL = (
    "SELECT coalesce(sum(version), 0), count(*),"
    " coalesce(sum(CASE WHEN ends_at < %(now)s THEN 1 ELSE 0 END), 0)"
    " FROM event WHERE status <> 'draft'"
)


def _read_page_version(slug: str) -> int | None:
    row = read_row_now(_PAGE_VERSION, _PAGE_VERSION_SQL, {"slug": slug})
    return None if row is None else row[0]


def event_page_version(slug: str) -> int | None:
    """The version of the public event behind /events/<slug> (raised by every change of it or
    of its seats); None for no such public event (core/page_cache.py). One small query, or
    none on PostgreSQL while the pushed versions can be trusted."""
    return _PUSHED.version(db.engine, slug, _read_page_version)


def next_moment(event: Event, now: datetime | None = None) -> datetime | None:
    """The next moment at which the event's public page changes by itself (registration opens
    or closes, the event starts or ends), or None when all have passed."""
    now = now or utcnow()
    moments = (
        event.published_at,
        event.registration_opens_at,
        event.registration_closes_at,
        event.starts_at,
        event.ends_at,
    )
    return min((m for m in moments if m is not None and m > now), default=None)


def public_lists_freshness() -> tuple[int, int, int]:
    """What the public lists (/ and /past) depend on, in one small query: the sum of the public
    events' versions (drafts are never listed and public events are never deleted, so it rises
    with every change of any of them, publishing included), how many there are and how many
    have ended (an event moves from / to /past)."""
    row = read_row_now(_LISTS_VERSION, _LISTS_VERSION_SQL, {"now": utcnow()})
    assert row is not None  # an aggregate without GROUP BY always has its row
    return int(row[0]), int(row[1]), int(row[2])


@dataclass
class EventFilters:
    kind: str | None = None
    format: str | None = None
    language: str | None = None
    city: str | None = None  # a city name, or "online"
    target_group: str | None = None
    q: str | None = None  # text in the title or description, in the reader's language or own

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> EventFilters:
        """Read the list filters (kind, format, language or lang_filter, city, target_group, q);
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
        q = args.get("q")
        q = " ".join(q.split()) if isinstance(q, str) else ""
        filters = cls(
            kind=pick("kind", KINDS),
            format=pick("format", FORMATS),
            language=pick("language", LANGUAGES) or pick("lang_filter", LANGUAGES),
            city=city[:100] or None,
            target_group=pick("target_group", TARGET_GROUPS),
            q=q[:100] or None,
        )
        if errors:
            raise ValidationError(errors)
        return filters


def _text_search(q: str, language: str) -> sa.ColumnElement[bool]:
    """The event's title or description holds q (any case): the text in `language` (its
    translation) or the event's own, so a visitor finds what the page shows them and what the
    event calls itself. Portable: JSON path extraction on SQLite and PostgreSQL alike, and
    every letter's case folded on both (core.db.folded)."""
    needle = q.lower()
    columns = [Event.title, Event.description]
    if language in LANGUAGES:
        columns += [Event.translations[(language, field)].as_string() for field in TRANSLATABLE]
    return sa.or_(
        *(
            folded(sa.func.coalesce(column, "")).contains(needle, autoescape=True)
            for column in columns
        )
    )


def public_events_query(
    past: bool = False, filters: EventFilters | None = None, language: str | None = None
) -> sa.Select:
    """Published and cancelled events, upcoming (not yet ended) or past, filtered. The text
    search (filters.q) reads the texts in `language` (the page's when None)."""
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
    if f.q:
        query = query.where(_text_search(f.q, language or current_language()))
    return query.options(selectinload(Event.target_groups))


def list_public_events(
    past: bool = False,
    filters: EventFilters | None = None,
    page: int = 1,
    per_page: int = 10,
    language: str | None = None,
):
    """One page of events (a Flask-SQLAlchemy Pagination); `language` as public_events_query."""
    return db.paginate(
        public_events_query(past, filters, language), page=page, per_page=per_page, error_out=False
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
