"""An event read for one request without the ORM: its row, its target groups and its sessions as
plain records with the models' attribute names, in three small prepared statements on the
connection the thread keeps in autocommit (core.db.read_now: no pool checkout, BEGIN or
COMMIT; each statement sees the latest commit).

The registration reads the event this way (participants.services.register): building ORM
objects for an event and its agenda cost more than the rest of a registration together. A
record is read-only and belongs to the request that read it; whatever decides a seat is read
again under the event's lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import read_together
from core.errors import NotFound
from core.prepared import Prepared
from events.models import Event, EventTargetGroup, Session

_event = Event.__table__
_groups = EventTargetGroup.__table__
_sessions = Session.__table__

_BY_SLUG = Prepared(sa.select(_event).where(_event.c.slug == sa.bindparam("slug")))
# The agenda by the event's slug, so that the three go together (one round trip on PostgreSQL).
_ID_OF_SLUG = sa.select(_event.c.id).where(_event.c.slug == sa.bindparam("slug")).scalar_subquery()
_GROUPS = Prepared(
    sa.select(_groups).where(_groups.c.event_id == _ID_OF_SLUG).order_by(_groups.c.code)
)
_SESSIONS = Prepared(
    sa.select(_sessions)
    .where(_sessions.c.event_id == _ID_OF_SLUG)
    .order_by(_sessions.c.starts_at, _sessions.c.id)
)


# What other features' parts of the public event page read, sent with the event's own three
# statements (materials/event_list.py adds the page's list of materials): name -> a Prepared
# statement of the slug. public_event_record(slug, page=True) runs them and keeps their rows in
# record.page_rows[name].
PAGE_READS: dict[str, Prepared] = {}


class SessionRecord:
    """A session's columns as attributes, and its `event` (for the event's language)."""

    __slots__ = ("_row", "event")

    def __init__(self, row: sa.Row | tuple, event: EventRecord) -> None:
        self._row = row
        self.event = event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


class EventRecord:
    """An event's columns as attributes (``record.title``), with `target_groups` as rows
    (``group.code``), `sessions` as SessionRecords (or the model's Sessions when given them)
    and the model's own small properties."""

    __slots__ = ("_values", "target_groups", "sessions", "page_rows")

    def __init__(
        self, values: Mapping[str, Any], target_groups: Sequence[Any], sessions: Sequence[Any]
    ) -> None:
        self._values = dict(values)
        self.page_rows: dict[str, list[Any]] = {}
        self.target_groups = list(target_groups)
        # rows (sa.Row, or a core.prepared.Prepared's named tuples) become SessionRecords
        self.sessions = [
            SessionRecord(s, self) if isinstance(s, sa.Row | tuple) else s for s in sessions
        ]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def with_agenda(self, target_groups: Sequence[Any], sessions: Sequence[Any]) -> EventRecord:
        """The same columns with other target groups and sessions."""
        return EventRecord(self._values, target_groups, sessions)

    # The model's definitions, shared rather than written twice.
    has_venue = Event.has_venue
    target_group_codes = Event.target_group_codes
    quota_for = Event.quota_for


_COLUMNS = tuple(_event.c.keys())


def column_values(event: Event | EventRecord) -> dict[str, Any]:
    """The event's columns by name, as loaded (no query)."""
    if isinstance(event, EventRecord):
        return dict(event._values)
    return {name: getattr(event, name) for name in _COLUMNS}


def public_event_record(slug: str, *, page: bool = False) -> EventRecord:
    """The published or cancelled event with this slug, as a record; NotFound for none and for a
    draft (drafts do not exist for the public). page=True also runs PAGE_READS, in the same
    round trip on PostgreSQL."""
    params = {"slug": slug}
    extra = list(PAGE_READS.items()) if page else []
    rows, groups, sessions, *more = read_together(
        [(_BY_SLUG, params), (_GROUPS, params), (_SESSIONS, params)]
        + [(statement, params) for _name, statement in extra]
    )
    if not rows or rows[0].status == "draft":
        raise NotFound(_l("There is no such event."))
    record = EventRecord(rows[0]._asdict(), groups, sessions)
    record.page_rows = {name: found for (name, _), found in zip(extra, more, strict=True)}
    return record
