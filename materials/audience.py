"""Who may have a material: the one rule, used by every listing and every download.

- `public`: everyone.
- `registrants`: a person with a confirmed registration for one of the material's audience
  events (waitlisted and cancelled people are not registrants here);
- `attendees`: the same, checked in (attended_at set);
  both optionally narrowed to target groups (the registration's target group);
- `organisers`: its organisers only (a draft).
Its organisers (who made it, or organise one of its events) and administrators always may.

A person is known by the secret of their manage link (`?t=<token>`); an organiser by the
sign-in or the API token. The rule is one SQL condition (`visible`), so a listing filters in
the database and a single material is checked with the same condition (`may_have`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from core.db import db
from core.models import Organiser
from events.models import Event, event_organiser
from materials.models import Material, MaterialLabel, material_audience_event, material_event
from participants.models import Registration


@dataclass
class Viewer:
    """Who asks: an organiser (or None) and the registrations of the manage link given."""

    organiser: Organiser | None = None
    registrations: list[Registration] = field(default_factory=list)

    @property
    def registration(self) -> Registration | None:
        return self.registrations[0] if self.registrations else None


def viewer(organiser: Organiser | None, token: str | None) -> Viewer:
    """The viewer for a signed-in organiser (or None) and a manage link's token (or None). A
    token that is not a registration's gives no registration (no error: the same answers as
    without one)."""
    registrations: list[Registration] = []
    if token and len(token) <= 64:
        found = db.session.scalar(
            sa.select(Registration).where(
                Registration.token == token, Registration.status != "cancelled"
            )
        )
        registrations = [found] if found else []
    if organiser is not None and not organiser.is_authenticated:
        organiser = None
    return Viewer(organiser, registrations)


def managed_events(organiser: Organiser) -> sa.Select:
    """The ids of the events this organiser manages (made, or co-organises)."""
    return sa.select(Event.id).where(
        sa.or_(
            Event.created_by_id == organiser.id,
            Event.id.in_(
                sa.select(event_organiser.c.event_id).where(
                    event_organiser.c.organiser_id == organiser.id
                )
            ),
        )
    )


def manages(organiser: Organiser) -> sa.ColumnElement[bool]:
    """The materials this organiser manages: made by them, or of an event they manage."""
    if organiser.is_admin:
        return sa.true()
    events = managed_events(organiser)
    return sa.or_(
        Material.created_by_id == organiser.id,
        Material.id.in_(
            sa.select(material_event.c.material_id).where(material_event.c.event_id.in_(events))
        ),
        Material.id.in_(
            sa.select(material_audience_event.c.material_id).where(
                material_audience_event.c.event_id.in_(events)
            )
        ),
    )


def _for_registration(registration: Registration) -> sa.ColumnElement[bool]:
    if registration.status != "confirmed":
        return sa.false()
    kinds = ["registrants", "attendees"] if registration.attended_at else ["registrants"]
    groups = sa.select(MaterialLabel.material_id).where(MaterialLabel.kind == "audience_group")
    return sa.and_(
        Material.audience.in_(kinds),
        Material.id.in_(
            sa.select(material_audience_event.c.material_id).where(
                material_audience_event.c.event_id == registration.event_id
            )
        ),
        sa.or_(
            Material.id.not_in(groups),
            Material.id.in_(groups.where(MaterialLabel.value == registration.target_group)),
        ),
    )


def visible(who: Viewer) -> sa.ColumnElement[bool]:
    """The SQL condition: the materials this viewer may have."""
    allowed = [Material.audience == "public"]
    if who.organiser is not None:
        allowed.append(manages(who.organiser))
    allowed += [_for_registration(r) for r in who.registrations]
    return sa.or_(*allowed)


def may_have(material: Material, who: Viewer) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(Material.id == material.id, visible(who))
        )
        == 1
    )


def may_manage(material: Material, organiser: Organiser | None) -> bool:
    if organiser is None or not organiser.is_authenticated:
        return False
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(Material.id == material.id, manages(organiser))
        )
        == 1
    )


def entitled_registration(material: Material, who: Viewer) -> Registration | None:
    """The registration through which the viewer has this material (for the download record),
    None when they have it as the public or as an organiser."""
    for registration in who.registrations:
        ok = db.session.scalar(
            sa.select(sa.func.count()).where(
                Material.id == material.id, _for_registration(registration)
            )
        )
        if ok:
            return registration
    return None
