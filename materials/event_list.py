"""The event page's list of materials, read in one prepared Core statement (no ORM objects), in
the style of events/records.py: the event's public materials, newest first, each with its
labels, its current file and the sessions it belongs to. The page is the same for every
visitor, so only public materials are listed (a person finds the rest on their manage page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from core.db import read_for_page
from materials.models import Material, MaterialFile, MaterialLabel, material_event, material_session

_m = Material.__table__
_label = MaterialLabel.__table__
_file = MaterialFile.__table__
_UNIT, _RECORD = "\x1f", "\x1e"  # separators no label holds (labels are short printable text)


def _current_file(column: sa.Column) -> sa.ScalarSelect:
    return (
        sa.select(column)
        .where(_file.c.material_id == _m.c.id)
        .order_by(_file.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )


_EVENT_MATERIALS = (
    sa.select(
        _m.c.id,
        _m.c.title,
        _m.c.description,
        _m.c.language,
        _m.c.translations,
        _m.c.category,
        _m.c.url,
        sa.select(sa.func.aggregate_strings(_label.c.kind + _UNIT + _label.c.value, _RECORD))
        .where(_label.c.material_id == _m.c.id)
        .scalar_subquery()
        .label("labels"),
        sa.select(sa.func.aggregate_strings(sa.cast(material_session.c.session_id, sa.String), ","))
        .where(material_session.c.material_id == _m.c.id)
        .scalar_subquery()
        .label("session_ids"),
        _current_file(_file.c.content_type).label("file_type"),
        _current_file(_file.c.size).label("file_size"),
    )
    .where(
        _m.c.audience == "public",
        _m.c.id.in_(
            sa.select(material_event.c.material_id).where(
                material_event.c.event_id == sa.bindparam("event_id")
            )
        ),
    )
    .order_by(_m.c.created_at.desc(), _m.c.id.desc())
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


def public_event_materials(event_id: int) -> list[MaterialRecord]:
    """The event's public materials, newest first, in one statement."""
    rows = read_for_page(_EVENT_MATERIALS, {"event_id": event_id})
    return [MaterialRecord(row) for row in rows.mappings()]
