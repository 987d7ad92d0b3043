"""What organisers (and a person's own pages) read: lookups, lists, counts, filters.

Nothing here writes. The list filters are validated in one place (RegistrationFilters.parse):
the API answers 422 to an unknown value, and the HTML pages show the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from core.db import db, folded
from core.errors import NotFound, ValidationError
from events.models import TARGET_GROUPS, Event
from participants.models import REGISTRATION_STATUSES, Organisation, Registration

# --- one registration ----------------------------------------------------------------------------


def get_registration(token: str) -> Registration:
    """The registration behind a person's own link; NotFound when there is none."""
    registration = db.session.scalar(sa.select(Registration).where(Registration.token == token))
    if registration is None:
        raise NotFound(_l("There is no registration with this link."))
    return registration


def get_event_registration(event: Event, registration_id: int) -> Registration:
    """A registration of this event by id; NotFound for another event's."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound(_l("There is no such registration for this event."))
    return registration


def active_registrations(event: Event) -> list[Registration]:
    """Everyone not cancelled, first registered first."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status != "cancelled")
            .order_by(Registration.id)
        )
    )


def audience_counts(event: Event) -> dict[str, Any]:
    """The people a notice about the event reaches (everyone not cancelled), by status and by
    language, in one query: {"confirmed": n, "waitlisted": n, "languages": {"sv": n, …}}."""
    rows = db.session.execute(
        sa.select(Registration.status, Registration.language, sa.func.count())
        .where(Registration.event_id == event.id, Registration.status != "cancelled")
        .group_by(Registration.status, Registration.language)
    ).all()
    found: dict[str, Any] = {"confirmed": 0, "waitlisted": 0, "languages": {}}
    for status, language, count in rows:
        found[status] = found.get(status, 0) + count
        found["languages"][language] = found["languages"].get(language, 0) + count
    return found


# --- lists ---------------------------------------------------------------------------------------

FILTER_KEYS = ("q", "status", "target_group", "attended")
ATTENDED_VALUES = {"yes": True, "no": False}


@dataclass
class RegistrationFilters:
    status: str | None = None
    target_group: str | None = None
    attended: bool | None = None
    search: str | None = None

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> RegistrationFilters:
        """Read the list filters (status, target_group, attended yes/no, q); an empty value
        means no filter. Raises ValidationError naming each unknown value."""
        errors: dict[str, Any] = {}

        def pick(key: str, choices: Any) -> Any:
            value = args.get(key) or None
            if value is not None and value not in choices:
                errors[key] = _l("Choose one of: %(choices)s.", choices=", ".join(choices))
                return None
            return value

        status = pick("status", REGISTRATION_STATUSES)
        target_group = pick("target_group", TARGET_GROUPS)
        attended = pick("attended", ATTENDED_VALUES)
        search = args.get("q")
        search = search if isinstance(search, str) else ""
        if errors:
            raise ValidationError(errors)
        return cls(
            status=status,
            target_group=target_group,
            attended=None if attended is None else ATTENDED_VALUES[attended],
            search=(search or "").strip()[:100] or None,
        )


def registrations_query(event: Event, filters: RegistrationFilters | None = None) -> sa.Select:
    f = filters or RegistrationFilters()
    query = (
        sa.select(Registration)
        .join(Organisation)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.sessions), selectinload(Registration.organisation))
        .order_by(Registration.id)
    )
    if f.status:
        query = query.where(Registration.status == f.status)
    if f.target_group:
        query = query.where(Registration.target_group == f.target_group)
    if f.attended is True:
        query = query.where(Registration.attended_at.is_not(None))
    elif f.attended is False:
        query = query.where(Registration.attended_at.is_(None))
    if f.search:
        pattern = f"%{f.search.lower()}%"
        query = query.where(
            sa.or_(
                folded(Registration.name).like(pattern),
                folded(Registration.email).like(pattern),
                folded(Organisation.name).like(pattern),
            )
        )
    return query


def list_registrations(
    event: Event, filters: RegistrationFilters | None = None
) -> list[Registration]:
    return list(db.session.scalars(registrations_query(event, filters)))


# --- counts --------------------------------------------------------------------------------------


@dataclass
class Counts:
    by_status: dict[str, int]
    by_group: dict[str, dict[str, int]]  # target group -> status -> count
    attended: int


def counts(event: Event) -> Counts:
    rows = db.session.execute(
        sa.select(Registration.target_group, Registration.status, sa.func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.target_group, Registration.status)
    ).all()
    by_status = {"confirmed": 0, "waitlisted": 0, "cancelled": 0}
    by_group: dict[str, dict[str, int]] = {}
    for group, status, n in rows:
        by_status[status] += n
        by_group.setdefault(group, {"confirmed": 0, "waitlisted": 0, "cancelled": 0})[status] = n
    attended = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == event.id, Registration.attended_at.is_not(None)
        )
    )
    return Counts(by_status, by_group, attended or 0)


def status_counts(event: Event) -> dict[str, int]:
    """Registrations of the event by status, in one query."""
    counted = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    return {status: counted.get(status, 0) for status in ("confirmed", "waitlisted", "cancelled")}


@dataclass
class NeedsSummary:
    """What a caterer may see: counts among confirmed people, never who they are."""

    confirmed: int
    with_needs: int
    needs: list[tuple[str, int]]  # (the text as first written, how many wrote it), most first


def needs_summary(event: Event) -> NeedsSummary:
    """Identical needs texts (ignoring case and spacing) counted together."""
    texts = db.session.scalars(
        sa.select(Registration.needs)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .order_by(Registration.id)
    ).all()
    groups: dict[str, list[Any]] = {}
    for text in texts:
        shown = " ".join((text or "").split())
        if shown:
            groups.setdefault(shown.casefold(), [shown, 0])[1] += 1
    needs = sorted(((shown, n) for shown, n in groups.values()), key=lambda x: (-x[1], x[0]))
    return NeedsSummary(len(texts), sum(n for _shown, n in needs), needs)
