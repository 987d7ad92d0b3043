"""Lists of materials: the library (search, filters, newest first, pages), an event's and a
person's. Every one is filtered by the audience rule (materials/audience.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.db import db
from core.errors import NotFound
from core.models import Organiser
from events.models import Event
from materials import search
from materials.audience import Viewer, manages, may_have, visible
from materials.models import Material, MaterialLabel, material_event

PER_PAGE = 10


@dataclass
class Filters:
    q: str = ""
    category: str = ""
    language: str = ""
    target_group: str = ""
    event: int | None = None  # an event's id


def _labelled(kind: str, value: str) -> sa.ColumnElement[bool]:
    return Material.id.in_(
        sa.select(MaterialLabel.material_id).where(
            MaterialLabel.kind == kind, MaterialLabel.value == value
        )
    )


def library_query(who: Viewer, filters: Filters) -> sa.Select:
    query = sa.select(Material).where(visible(who))
    text = search.condition(filters.q, Material.id, Material.search_text)
    if text is not None:
        query = query.where(text)
    if filters.category:
        query = query.where(Material.category == filters.category)
    if filters.language:
        query = query.where(_labelled("language", filters.language))
    if filters.target_group:
        query = query.where(_labelled("target_group", filters.target_group))
    if filters.event is not None:
        query = query.where(
            Material.id.in_(
                sa.select(material_event.c.material_id).where(
                    material_event.c.event_id == filters.event
                )
            )
        )
    return query.options(selectinload(Material.labels), selectinload(Material.files)).order_by(
        Material.created_at.desc(), Material.id.desc()
    )


def library(who: Viewer, filters: Filters, page: int = 1, per_page: int = PER_PAGE):
    return db.paginate(library_query(who, filters), page=page, per_page=per_page, error_out=False)


def person_materials(who: Viewer) -> list[Material]:
    """What a person may have beyond the public library: materials of their event and those
    opened to them."""
    registration = who.registration
    if registration is None:
        return []
    query = library_query(who, Filters()).where(
        sa.or_(
            Material.audience != "public",
            Material.id.in_(
                sa.select(material_event.c.material_id).where(
                    material_event.c.event_id == registration.event_id
                )
            ),
        )
    )
    return list(db.session.scalars(query))


def get_material(material_id: int, who: Viewer) -> Material:
    """The material, or NotFound when it does not exist or the viewer may not have it (the
    same answer for both)."""
    if not 0 < material_id < 2**31:  # beyond any id (and the database's integer)
        raise NotFound()
    material = db.session.get(Material, material_id)
    if material is None or not may_have(material, who):
        raise NotFound()
    return material


def event_by_slug(slug: str) -> Event | None:
    """A published (or cancelled) event by its slug, for the library's event filter."""
    return db.session.scalar(
        sa.select(Event).where(Event.slug == slug[:120], Event.status != "draft")
    )


def events_with_materials() -> list[Event]:
    """The events the library's filter offers: public ones with a public material."""
    ids = (
        sa.select(material_event.c.event_id)
        .join(Material, Material.id == material_event.c.material_id)
        .where(Material.audience == "public")
    )
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.id.in_(ids), Event.status != "draft")
            .order_by(Event.starts_at.desc())
        )
    )


def managed(organiser: Organiser) -> list[Material]:
    return list(
        db.session.scalars(
            sa.select(Material)
            .where(manages(organiser))
            .options(selectinload(Material.files), selectinload(Material.labels))
            .order_by(Material.created_at.desc(), Material.id.desc())
        )
    )


def managed_material(organiser: Organiser, material_id: int) -> Material:
    """A material this organiser manages, or NotFound (as for one that does not exist)."""
    if not 0 < material_id < 2**31:
        raise NotFound()
    material = db.session.scalar(
        sa.select(Material).where(Material.id == material_id, manages(organiser))
    )
    if material is None:
        raise NotFound()
    return material
