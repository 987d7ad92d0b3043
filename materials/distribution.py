"""Materials sent to an event's people through the outbox: its attendees, all confirmed
registrants, or those of chosen target groups; now, at a time, or when the event ends.

Each person gets one email in their language with their own download links (``?t=<their
token>``), listing only the chosen materials they may have by the audience rule.

The worker runs ``send_due_distributions`` every round (registered with core.outbox's due
work). Each batch is one write transaction that claims the distribution (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite: a second worker skips it or waits),
picks people not yet reached, and inserts for each the DistributionRecipient row and the
outbox row together. A batch commits whole or not at all, and the unique (distribution,
registration) pair forbids a second row, so an interrupted distribution resumes where it
stopped and nobody is reached twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import Organiser
from core.outbox import queue_email
from core.urls import external_url
from events.facts import event_facts
from events.models import TARGET_GROUPS, Event
from events.parsing import moment_error, parse_moment
from events.queries import require_manage
from materials.audience import Viewer, manages, visible
from materials.content import material_text
from materials.models import (
    DISTRIBUTION_AUDIENCES,
    Distribution,
    DistributionRecipient,
    Material,
)
from participants.emails import manage_url
from participants.models import Registration

KIND = "materials"


@dataclass
class Progress:
    queued: int
    total: int


def _people(event_id: int, audience: str, groups: list[str]) -> sa.Select:
    query = sa.select(Registration).where(
        Registration.event_id == event_id, Registration.status == "confirmed"
    )
    if audience == "attendees":
        query = query.where(Registration.attended_at.is_not(None))
    if groups:
        query = query.where(Registration.target_group.in_(groups))
    return query


def reach(event: Event, audience: str, groups: list[str]) -> int:
    """How many people such a distribution reaches now (the preview)."""
    query = _people(event.id, audience, groups).with_only_columns(sa.func.count())
    return db.session.scalar(query.order_by(None)) or 0


def progress(distribution: Distribution) -> Progress:
    queued = db.session.scalar(
        sa.select(sa.func.count()).where(DistributionRecipient.distribution_id == distribution.id)
    )
    waiting = db.session.scalar(
        _unreached(distribution).with_only_columns(sa.func.count()).order_by(None)
    )
    return Progress(queued or 0, (queued or 0) + (waiting or 0))


def _unreached(distribution: Distribution) -> sa.Select:
    reached = sa.select(DistributionRecipient.registration_id).where(
        DistributionRecipient.distribution_id == distribution.id
    )
    return _people(distribution.event_id, distribution.audience, distribution.target_groups).where(
        Registration.id.not_in(reached)
    )


# --- creating --------------------------------------------------------------------------------


def parse_distribution(
    organiser: Organiser, event: Event, data: Mapping[str, Any]
) -> tuple[list[Material], str, list[str], datetime]:
    """(materials, audience, target groups, send_at in UTC); ValidationError naming each bad
    field."""
    errors: dict[str, Any] = {}
    raw = data.get("materials")
    materials: list[Material] = []
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in raw)
    ):
        errors["materials"] = _l("Choose at least one material.")
    else:
        ids = list(dict.fromkeys(raw))
        found = {
            m.id: m
            for m in db.session.scalars(
                sa.select(Material).where(Material.id.in_(ids), manages(organiser))
            )
        }
        materials = [found[i] for i in ids if i in found]
        if len(materials) < len(ids):
            errors["materials"] = _l("Choose materials you manage.")
        elif any(m.audience == "organisers" for m in materials):
            errors["materials"] = _l("A material for organisers only cannot be sent out.")
    audience = data.get("audience")
    if isinstance(audience, str):
        audience = {"kind": audience}
    kind, groups = "attendees", []
    if not isinstance(audience, Mapping) or audience.get("kind") not in DISTRIBUTION_AUDIENCES:
        errors["audience"] = _l(
            "Choose one of: %(choices)s.", choices=", ".join(DISTRIBUTION_AUDIENCES)
        )
    else:
        kind = audience["kind"]
        raw_groups = audience.get("target_groups") or []
        if not isinstance(raw_groups, list) or any(g not in TARGET_GROUPS for g in raw_groups):
            errors["audience.target_groups"] = _l(
                "Choose one of: %(choices)s.", choices=", ".join(TARGET_GROUPS)
            )
        else:
            groups = list(dict.fromkeys(raw_groups))
    send_at = utcnow()
    when = data.get("send_at")
    if when == "event_end":
        send_at = event.ends_at
    elif when not in (None, "", "now"):
        try:
            send_at = parse_moment(when, event.timezone)
        except (ValueError, TypeError, OverflowError) as err:
            errors["send_at"] = moment_error(err)
    if errors:
        raise ValidationError(errors)
    return materials, kind, groups, send_at


def create_distribution(
    organiser: Organiser, event: Event, data: Mapping[str, Any]
) -> Distribution:
    """A distribution of the event, scheduled; the worker sends it when it is due."""
    require_manage(organiser, event)
    materials, kind, groups, send_at = parse_distribution(organiser, event, data)
    distribution = Distribution(
        event=event,
        audience=kind,
        target_groups=groups,
        send_at=send_at,
        status="scheduled",
        created_by_id=organiser.id,
        materials=materials,
    )
    db.session.add(distribution)
    db.session.commit()
    return distribution


def event_distributions(event: Event) -> list[Distribution]:
    return list(
        db.session.scalars(
            sa.select(Distribution)
            .where(Distribution.event_id == event.id)
            .order_by(Distribution.created_at.desc(), Distribution.id.desc())
        )
    )


# --- sending ---------------------------------------------------------------------------------


def _facts(registration: Registration, materials: list[Material]) -> dict[str, Any]:
    lang = registration.language
    return {
        "registration": {"name": registration.name, "email": registration.email,
                         "status": registration.status},
        "event": event_facts(registration.event, lang),
        "manage_url": manage_url(registration),
        "materials": [
            {
                "title": str(material_text(m, "title", lang)),
                "url": external_url("materials.download", material_id=m.id, t=registration.token),
            }
            for m in materials
        ],
    }  # fmt: skip


def _allowed(registration: Registration, materials: list[Material]) -> list[Material]:
    """The chosen materials this person may have (the audience rule, in SQL)."""
    ids = set(
        db.session.scalars(
            sa.select(Material.id).where(
                Material.id.in_([m.id for m in materials]), visible(Viewer(None, [registration]))
            )
        )
    )
    return [m for m in materials if m.id in ids]


def _claim(now: datetime) -> Distribution | None:
    query = (
        sa.select(Distribution)
        .where(Distribution.status.in_(("scheduled", "sending")), Distribution.send_at <= now)
        .order_by(Distribution.send_at, Distribution.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def send_batch(now: datetime | None = None, batch_size: int | None = None) -> int | None:
    """One batch of one due distribution: the people queued (0 when it was finished now), or
    None when nothing is due. One transaction: all of the batch or none of it."""
    now = now or utcnow()
    batch_size = batch_size or int(current_app.config.get("DISTRIBUTION_BATCH_SIZE", 100))
    with write_transaction():
        distribution = _claim(now)
        if distribution is None:
            return None
        people = list(db.session.scalars(_unreached(distribution).limit(batch_size)))
        if not people:
            distribution.status = "done"
            distribution.finished_at = utcnow()
            db.session.commit()
            return 0
        distribution.status = "sending"
        materials = list(distribution.materials)
        rows = []
        for person in people:
            allowed = _allowed(person, materials)
            message_id = None
            if allowed:
                message_id = queue_email(
                    person.email, KIND, person.language, _facts(person, allowed)
                )
            rows.append({"distribution_id": distribution.id, "registration_id": person.id,
                         "outbox_message_id": message_id, "queued_at": utcnow()})  # fmt: skip
        db.session.execute(sa.insert(DistributionRecipient), rows)
        db.session.commit()
        return len(people)


def send_due_distributions(now: datetime | None = None, max_batches: int | None = None) -> int:
    """Queue every due distribution's emails, batch by batch; the people queued."""
    queued = batches = 0
    while max_batches is None or batches < max_batches:
        count = send_batch(now)
        if count is None:
            break
        queued += count
        batches += 1
    return queued
