"""Reach: which organisations took part, over time, and how many of Sweden's 290 municipalities
and 21 regions did, with the worklist of those not yet reached for the next campaign.

Took part: at least one person from the organisation attended (was checked in:
Registration.attended_at) a confirmed registration of an event in scope. Over time: by the
month (UTC) of the event's start, the distinct organisations that had taken part by the end
of each month, by kind (participants.kinds) and by country.

Sweden's municipalities and regions are the reference list outreach/data/
sweden_public_bodies.csv (its README names the source). An organisation with country SE is one
of them when its number is the one on the list, or else when its name is (match_name: the
words "kommun", "stad", "region", "län" and a genitive "s" considered; "Region X" is a
region, anything else a municipality). A record with a number that is not a public body's
(first digit other than 2) never matches by name.

A fixed number of statements whatever the data (one for the chart, two for Sweden).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.db import db
from events.models import Event
from outreach.models import Campaign, CampaignRecipient
from participants.kinds import KINDS
from participants.models import Organisation, Registration
from participants.organisations import kind_of, organisations_merged

DATA = Path(__file__).resolve().parent / "data" / "sweden_public_bodies.csv"
MUNICIPALITIES = 290
REGIONS = 21
GOTLAND = {"municipality": "0980", "region": "09"}  # one body, both a municipality and a region
COUNTRIES = ("SE", "FI", "other")


# --- the reference list ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicBody:
    kind: str  # municipality or region
    code: str  # kommunkod (4 digits) or county code (2 digits)
    name: str
    org_number: str | None
    county: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.code)


@lru_cache(maxsize=1)
def public_bodies() -> tuple[PublicBody, ...]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return tuple(
            PublicBody(r["kind"], r["code"], r["name"], r["org_number"] or None, r["county"])
            for r in csv.DictReader(f)
        )


_SUFFIXES = re.compile(r"\s+(kommun|stad|län|lans landsting|läns landsting|landsting)$")


def _core(name: str) -> tuple[bool, str]:
    """(region-like, the name without the words that say what kind of body it is)."""
    text = re.sub(r"[\s\-–]+", " ", name.casefold()).strip()
    region = False
    if text.startswith("region "):
        region, text = True, text.removeprefix("region ")
    elif text.endswith("regionen"):
        region, text = True, text.removesuffix("regionen").strip()
    if "landsting" in text:
        region = True
    while True:
        stripped = _SUFFIXES.sub("", text)
        if stripped == text:
            break
        text = stripped.strip()
    return region, text


def _variants(text: str) -> set[str]:
    """The name and, when it ends in s, without it (Stockholms stad, Jönköpings län)."""
    return {text, text[:-1]} if text.endswith("s") and len(text) > 3 else {text}


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, list[PublicBody]], dict[tuple[bool, str], list[PublicBody]]]:
    by_number: dict[str, list[PublicBody]] = defaultdict(list)
    by_name: dict[tuple[bool, str], list[PublicBody]] = defaultdict(list)
    bodies = {b.key: b for b in public_bodies()}
    for body in public_bodies():
        if body.org_number:
            by_number[body.org_number].append(body)
        _region, core = _core(body.name)
        for variant in _variants(core):
            by_name[(body.kind == "region", variant)].append(body)
    # Gotland: "Region Gotland" is the municipality too, and the municipality the region.
    island = bodies[("municipality", GOTLAND["municipality"])]
    county = bodies[("region", GOTLAND["region"])]
    for found in by_name.values():
        if island in found and county not in found:
            found.append(county)
        elif county in found and island not in found:
            found.append(island)
    return dict(by_number), dict(by_name)


def match_name(name: str) -> list[PublicBody]:
    """The bodies of the list an organisation's name names (several only for Gotland)."""
    region, core = _core(name)
    _numbers, names = _index()
    found: list[PublicBody] = []
    for variant in _variants(core):
        for body in names.get((region, variant), []):
            if body not in found:
                found.append(body)
    return found


def match_organisation(name: str, org_number: str | None, country: str) -> list[PublicBody]:
    """The municipalities and regions an organisation is: by number first, else by name."""
    if country != "SE":
        return []
    numbers, _names = _index()
    if org_number:
        if org_number in numbers:
            return numbers[org_number]
        if not org_number.startswith("2"):
            return []  # a company's or an association's number: never a municipality
    return match_name(name)


# --- took part, over time -------------------------------------------------------------------


def took_part() -> sa.ColumnElement[bool]:
    return sa.and_(Registration.status == "confirmed", Registration.attended_at.is_not(None))


def _month(column: Any) -> sa.ColumnElement[str]:
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class ReachOverTime:
    """Cumulative distinct organisations that took part, at the end of each month (every
    month from the first to the last with an event, none skipped)."""

    months: list[str] = field(default_factory=list)
    total: list[int] = field(default_factory=list)
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kinds that occur, KINDS order
    by_country: dict[str, list[int]] = field(default_factory=dict)


def reach_over_time(scope: sa.Select) -> ReachOverTime:
    """`scope`: SELECT of the event ids in scope (surveys.impact.events_in_scope)."""
    first = (
        sa.select(
            Registration.organisation_id.label("organisation"),
            sa.func.min(Event.starts_at).label("first"),
        )
        .join(Event, Event.id == Registration.event_id)
        .where(took_part(), Registration.event_id.in_(scope))
        .group_by(Registration.organisation_id)
        .subquery("first_time")
    )
    month, kind = _month(first.c.first), kind_of()
    rows = db.session.execute(
        sa.select(month, kind, Organisation.country, sa.func.count())
        .select_from(first)
        .join(Organisation, Organisation.id == first.c.organisation)
        .group_by(month, kind, Organisation.country)
    ).all()
    if not rows:
        return ReachOverTime()
    months = _months_between(min(r[0] for r in rows), max(r[0] for r in rows))
    new_by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    new_by_country: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m, k, country, n in rows:
        new_by_kind[k][m] += int(n)
        new_by_country[country if country in COUNTRIES else "other"][m] += int(n)

    def cumulative(new: dict[str, int]) -> list[int]:
        out, running = [], 0
        for m in months:
            running += new.get(m, 0)
            out.append(running)
        return out

    totals: dict[str, int] = defaultdict(int)
    for per_month in new_by_kind.values():
        for m, n in per_month.items():
            totals[m] += n
    return ReachOverTime(
        months=months,
        total=cumulative(totals),
        by_kind={k: cumulative(new_by_kind[k]) for k in KINDS if k in new_by_kind},
        by_country={c: cumulative(new_by_country[c]) for c in COUNTRIES if c in new_by_country},
    )


# --- Sweden's municipalities and regions ----------------------------------------------------


@dataclass
class WorklistRow:
    body: PublicBody
    invited_at: datetime | None  # the latest campaign invitation to a matching organisation


@dataclass
class SwedenReach:
    municipalities: int  # on the list: 290
    regions: int  # 21
    municipalities_reached: int
    regions_reached: int
    worklist: list[WorklistRow]  # every body not reached, by kind then name

    @property
    def invited(self) -> int:
        return sum(1 for row in self.worklist if row.invited_at)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite answers a MAX over a datetime as text
        return datetime.fromisoformat(value)
    return value


def sweden_reach(scope: sa.Select, campaign_scope: sa.Select) -> SwedenReach:
    """Which of the list took part in an event of `scope`, and for the others the latest
    invitation by a campaign to an event of `campaign_scope` (both SELECTs of event ids)."""
    reached_rows = db.session.execute(
        sa.select(Organisation.name, Organisation.org_number).where(
            Organisation.country == "SE",
            Organisation.id.in_(
                sa.select(Registration.organisation_id).where(
                    took_part(), Registration.event_id.in_(scope)
                )
            ),
        )
    ).all()
    reached = {
        b.key for name, number in reached_rows for b in match_organisation(name, number, "SE")
    }
    invited_rows = db.session.execute(
        sa.select(
            Organisation.name, Organisation.org_number, sa.func.max(CampaignRecipient.invited_at)
        )
        .join(Organisation, Organisation.id == CampaignRecipient.organisation_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(Organisation.country == "SE", Campaign.event_id.in_(campaign_scope))
        .group_by(Organisation.id, Organisation.name, Organisation.org_number)
    ).all()
    invited: dict[tuple[str, str], datetime] = {}
    for name, number, when in invited_rows:
        when = _as_datetime(when)
        for body in match_organisation(name, number, "SE"):
            if when and (body.key not in invited or invited[body.key] < when):
                invited[body.key] = when
    bodies = public_bodies()
    worklist = [
        WorklistRow(b, invited.get(b.key))
        for b in sorted(bodies, key=lambda b: (b.kind != "municipality", b.name.casefold()))
        if b.key not in reached
    ]
    return SwedenReach(
        municipalities=sum(1 for b in bodies if b.kind == "municipality"),
        regions=sum(1 for b in bodies if b.kind == "region"),
        municipalities_reached=sum(1 for kind, _code in reached if kind == "municipality"),
        regions_reached=sum(1 for kind, _code in reached if kind == "region"),
        worklist=worklist,
    )


# --- merges ---------------------------------------------------------------------------------


@organisations_merged.connect
def _move_campaign_recipients(loser_id: int, *, survivor_id: int, **_extra: Any) -> None:
    """A merge moves the campaigns' recipients too, in the merge's transaction."""
    db.session.execute(
        sa.update(CampaignRecipient)
        .where(CampaignRecipient.organisation_id == loser_id)
        .values(organisation_id=survivor_id)
    )
