"""The event page's list of materials, read in one prepared Core statement (no ORM objects), in
the style of events/records.py: the event's public materials, newest first, each with its
labels, its current file and the sessions it belongs to. The page is the same for every
visitor, so only public materials are listed (a person finds the rest on their manage page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from core.db import read_prepared
from core.prepared import Prepared
from events.models import Event
from events.records import PAGE_READS
from materials.models import Material, MaterialFile, MaterialLabel, material_event, material_session

_m = Material.__table__
_label = MaterialLabel.__table__
_file = MaterialFile.__table__
_UNIT, _RECORD = "\x1f", "\x1e"  # separators no label holds (labels are short printable text)
# The separators are written into the SQL (a Prepared statement takes no literal_execute
# parameter, which is what aggregate_strings makes of a plain string).


def _current_file(column: sa.Column) -> sa.ScalarSelect:
    return (
        sa.select(column)
        .where(_file.c.material_id == _m.c.id)
        .order_by(_file.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )


def _event_materials(event_id: sa.ColumnElement) -> sa.Select:
    return (
        sa.select(
            _m.c.id,
            _m.c.title,
            _m.c.description,
            _m.c.language,
            _m.c.translations,
            _m.c.category,
            _m.c.url,
            sa.select(
                sa.func.aggregate_strings(
                    _label.c.kind + _UNIT + _label.c.value, sa.literal_column(f"'{_RECORD}'")
                )
            )
            .where(_label.c.material_id == _m.c.id)
            .scalar_subquery()
            .label("labels"),
            sa.select(
                sa.func.aggregate_strings(
                    sa.cast(material_session.c.session_id, sa.String), sa.literal_column("','")
                )
            )
            .where(material_session.c.material_id == _m.c.id)
            .scalar_subquery()
            .label("session_ids"),
            _current_file(_file.c.content_type).label("file_type"),
            _current_file(_file.c.size).label("file_size"),
        )
        .where(
            _m.c.audience == "public",
            _m.c.id.in_(
                sa.select(material_event.c.material_id).where(material_event.c.event_id == event_id)
            ),
        )
        .order_by(_m.c.created_at.desc(), _m.c.id.desc())
    )


_EVENT_MATERIALS = Prepared(_event_materials(sa.bindparam("event_id")))
# The same by the event's slug, sent with the event's own statements when its page is read
# (events.records.PAGE_READS): one round trip for the whole page on PostgreSQL.
_event = Event.__table__
PAGE_READS["materials"] = Prepared(
    _event_materials(
        sa.select(_event.c.id).where(_event.c.slug == sa.bindparam("slug")).scalar_subquery()
    )
)


class FileFacts(NamedTuple):
    """What the list says of the current file."""

    content_type: str
    size: int


class MaterialRecord:
    """A material as the event page shows it, with the attribute names of the model."""

    __slots__ = (
        "id", "title", "description", "language", "translations", "category", "url",
        "languages", "target_groups", "tags", "current_file", "session_ids",
    )  # fmt: skip

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.id = row["id"]
        self.title = row["title"]
        self.description = row["description"]
        self.language = row["language"]
        self.translations = row["translations"] or {}
        self.category = row["category"]
        self.url = row["url"]
        values: dict[str, list[str]] = {"language": [], "target_group": [], "tag": []}
        # In the order of (kind, value), as the model's relationship sorts them.
        for kind, value in sorted(
            tuple(item.split(_UNIT, 1)) for item in (row["labels"] or "").split(_RECORD) if item
        ):
            if kind in values:
                values[kind].append(value)
        self.languages = values["language"]
        self.target_groups = values["target_group"]
        self.tags = values["tag"]
        self.current_file = (
            FileFacts(row["file_type"], row["file_size"]) if row["file_type"] is not None else None
        )
        self.session_ids = frozenset(int(s) for s in (row["session_ids"] or "").split(",") if s)


def public_event_materials(event: Any) -> list[MaterialRecord]:
    """The event's public materials, newest first: read with the event when it was read for its
    page (events.records.public_event_record(page=True)), else in one statement."""
    rows = getattr(event, "page_rows", {}).get("materials")
    if rows is None:
        rows = read_prepared(_EVENT_MATERIALS, {"event_id": event.id})
    return [MaterialRecord(row._asdict()) for row in rows]
