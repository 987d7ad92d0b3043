"""Organisations as one register across events: finding a record by its key (following a
merge), the organisers' list, and merging two records of the same organisation.

A person registers an organisation by number, or by name and country where there is none
(Registration.organisation's key); spelling a name two ways, or giving the number at one event
and not at another, makes two records of one organisation. A merge moves everything of the
loser to the survivor in one transaction and keeps the loser's row as the record of it
(merged_into_id, merged_at), so its key still leads to the survivor.

Other features hold organisation ids too (outreach's campaign recipients, surveys' responses),
and participants may not import them: they receive `organisations_merged` and move their
rows in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l

from core.db import db, folded, utcnow, write_transaction
from core.errors import Conflict, NotFound, ValidationError
from events.models import Event
from participants.kinds import organisation_kind
from participants.models import Organisation, Registration

signals = Namespace()
# sent(loser_id, survivor_id=..., when=...) inside the merge's transaction, after the
# registrations moved: a receiver moves its own rows with db.session and must not commit.
organisations_merged = signals.signal("organisations-merged")

PER_PAGE = 50
MAX_ID = 2**31 - 1  # PostgreSQL's integer
_table = Organisation.__table__

# The record a key leads to: the survivor when the row was merged (a merge re-points the
# loser's own losers, so one step always reaches a live record).
LIVE_ID = sa.func.coalesce(_table.c.merged_into_id, _table.c.id)


def kind_of(org: Any = Organisation) -> sa.ColumnElement[str]:
    """participants.kinds.organisation_kind() in SQL."""
    first = sa.func.substr(org.org_number, 1, 1)
    return sa.case(
        (org.kind.is_not(None), org.kind),
        (
            sa.and_(org.country == "SE", org.org_number.is_not(None)),
            sa.case(
                (first == "2", "public_body"),
                (first == "5", "company"),
                (first.in_(("7", "8")), "association"),
                (first == "9", "partnership"),
                else_="unknown",
            ),
        ),
        else_="unknown",
    )


def organisation_id_for_key(key: str) -> int | None:
    """The live organisation for a registration's key, or None when there is none."""
    return db.session.scalar(sa.select(LIVE_ID).where(_table.c.key == key))


def parse_organisation_id(value: Any, field: str = "organisation") -> int:
    """An organisation id from a form or a link; ValidationError naming `field` otherwise
    (text, NUL bytes, superscript digits, numbers past PostgreSQL's integer)."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise ValidationError({field: _l("Choose an organisation from the list.")})
    return int(text)


def parse_page(value: Any) -> int:
    text = str(value or "")
    if text.isascii() and text.isdigit() and 0 < len(text) < 7:
        return int(text)
    return 1


@dataclass
class OrganisationSummary:
    """What the list and the merge preview show of one record."""

    id: int
    name: str
    org_number: str | None
    country: str
    kind: str  # participants.kinds: the asked kind, else what the number says
    asked_kind: str | None
    registrations: int
    events: list[tuple[int, str]]  # (id, title), by start; empty in the list
    merged_into_id: int | None
    merged_at: datetime | None


def _registration_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.organisation_id, sa.func.count())
        .where(Registration.organisation_id.in_(ids))
        .group_by(Registration.organisation_id)
    )
    return {org: int(n) for org, n in rows}


def _summary(org: Organisation, registrations: int, events: list[tuple[int, str]]) -> Any:
    return OrganisationSummary(
        id=org.id,
        name=org.name,
        org_number=org.org_number,
        country=org.country,
        kind=organisation_kind(org.kind, org.org_number, org.country),
        asked_kind=org.kind,
        registrations=registrations,
        events=events,
        merged_into_id=org.merged_into_id,
        merged_at=org.merged_at,
    )


@dataclass
class OrganisationPage:
    items: list[OrganisationSummary]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search_organisations(
    q: str = "", page: int = 1, *, live_only: bool = True, exclude: int | None = None
) -> OrganisationPage:
    """The records whose name or number contains q (casefolded; a number matches with or
    without its dash), by name, PER_PAGE a page; merged records left out unless asked."""
    query = sa.select(Organisation)
    if live_only:
        query = query.where(Organisation.merged_into_id.is_(None))
    if exclude is not None:
        query = query.where(Organisation.id != exclude)
    q = (q or "").replace("\x00", "").strip()[:200]
    if q:
        pattern = "%" + q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        digits = q.replace("-", "").replace(" ", "")
        conditions = [folded(Organisation.name).like(pattern, escape="\\")]
        if digits.isascii() and digits.isdigit():
            conditions.append(sa.func.replace(Organisation.org_number, "-", "").like(f"%{digits}%"))
        else:
            conditions.append(folded(Organisation.org_number).like(pattern, escape="\\"))
        query = query.where(sa.or_(*conditions))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = list(
        db.session.scalars(
            query.order_by(folded(Organisation.name), Organisation.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    counts = _registration_counts([o.id for o in rows])
    items = [_summary(o, counts.get(o.id, 0), []) for o in rows]
    return OrganisationPage(items=items, page=page, pages=pages, total=total)


def get_organisation(organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(_l("There is no such organisation."))
    return org


def organisation_summary(organisation_id: int) -> OrganisationSummary:
    """One record with its registrations' count and the events they were for."""
    org = get_organisation(organisation_id)
    events = [
        (i, title)
        for i, title in db.session.execute(
            sa.select(Event.id, Event.title)
            .where(
                Event.id.in_(
                    sa.select(Registration.event_id).where(
                        Registration.organisation_id == organisation_id
                    )
                )
            )
            .order_by(Event.starts_at, Event.id)
        )
    ]
    return _summary(org, _registration_counts([org.id]).get(org.id, 0), events)


class CannotMerge(Conflict):
    code = "cannot_merge"


def check_merge(loser: Organisation, survivor: Organisation) -> None:
    """CannotMerge (409, a translated message) when these two records cannot be merged."""
    if loser.id == survivor.id:
        raise CannotMerge(_l("An organisation cannot be merged into itself."))
    if survivor.merged_into_id is not None:
        raise CannotMerge(
            _l("%(name)s has already been merged into another record.", name=survivor.name)
        )
    if loser.merged_into_id is not None:
        raise CannotMerge(
            _l("%(name)s has already been merged into another record.", name=loser.name)
        )


def merge_organisations(
    loser_id: int, survivor_id: int, *, now: datetime | None = None
) -> Organisation:
    """Merge the record `loser_id` into `survivor_id`, all or nothing: every registration (and
    through organisations_merged every campaign recipient and survey response) moves to the
    survivor, records earlier merged into the loser now point at the survivor, the survivor
    keeps its kind and number or takes the loser's where it has none, and the loser is marked
    merged (its key then leads to the survivor). NotFound for an unknown id, CannotMerge for
    a record merged into itself or into / from one already merged."""
    when = now or utcnow()
    with write_transaction():
        # Both rows locked in id order (PostgreSQL), so two crossing merges cannot deadlock
        # or both pass the check.
        rows = {
            o.id: o
            for o in db.session.scalars(
                sa.select(Organisation)
                .where(Organisation.id.in_((loser_id, survivor_id)))
                .order_by(Organisation.id)
                .with_for_update()
            )
        }
        if loser_id not in rows or survivor_id not in rows:
            raise NotFound(_l("There is no such organisation."))
        loser, survivor = rows[loser_id], rows[survivor_id]
        check_merge(loser, survivor)
        db.session.execute(
            sa.update(Registration)
            .where(Registration.organisation_id == loser_id)
            .values(organisation_id=survivor_id)
        )
        db.session.execute(
            sa.update(Organisation)
            .where(Organisation.merged_into_id == loser_id)
            .values(merged_into_id=survivor_id)
        )
        organisations_merged.send(loser_id, survivor_id=survivor_id, when=when)
        if not survivor.kind and loser.kind:
            survivor.kind = loser.kind
        if not survivor.org_number and loser.org_number:
            survivor.org_number = loser.org_number
        loser.merged_into_id = survivor_id
        loser.merged_at = when
        db.session.commit()
    return survivor
