"""The impact report (issue 10): event → attendance → material taken → invited → answered →
adopted, for people and for organisations, with what the follow-up surveys reported.

Every figure is an SQL aggregate: the report sends a fixed number of statements whatever the
number of rows (no Python loop over rows), on SQLite and PostgreSQL.

Counting rules:

- A person is an email address: the funnel counts distinct addresses among the confirmed
  registrations of the events in scope. Every later stage is a subset of those people.
- downloaded: took a material through their own link (a MaterialDownload of the registration).
- invited / answered: has a survey invitation for the registration / has answered it (that
  fact is kept for anonymous surveys too, apart from what was answered).
- adopted: answered ``yes`` to ``used_employment_requirements``. In a non-anonymous survey
  the response leads to the person, who is counted once. A response of an anonymous survey
  cannot be linked to a person, so those are counted by responses (added to the people):
  one person answering two anonymous surveys yes counts twice.
- An organisation counts in a stage when anyone from it did; it is adopted only through a
  non-anonymous survey (an anonymous response has no organisation).
- Month: the month of the event's start, in UTC.
- Small numbers: where fewer than 5 responses of anonymous surveys stand behind a group's
  adopted figure (in all or by a dimension), it is withheld (None, "fewer than 5"), the rule
  of the survey results (surveys.results.too_few).
- A mean of the national question over fewer than five answers is not shown (DOMAIN.md: a
  small group can point at a person); the number of answers is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db
from core.errors import ValidationError
from core.models import Organiser
from events.models import Event, event_organiser
from participants.kinds import NATIONAL_BASELINE_2018
from participants.models import Organisation, Registration
from surveys import indicators
from surveys.funnel import (
    DIMENSIONS,
    Funnel,
    add_anonymous,
    all_funnels,
    anonymous_yes,
    kind_of,
    month_of,
)
from surveys.models import (
    SurveyNumberTotal,
    SurveyQuestion,
)
from surveys.results import MIN_GROUP  # fewer answers than this: the mean is withheld

NUMBER_CODES = {
    **{f"procurements_{level}": code for level, code in indicators.PROCUREMENTS.items()},
    **{f"placements_{kind}": code for kind, code in indicators.PLACEMENTS.items()},
    "placements_newly_arrived": indicators.PLACEMENTS_NEWLY_ARRIVED,
    "fulltime_months": indicators.FULLTIME_MONTHS,
    "placements_within_6_months": indicators.PLACEMENTS_WITHIN_6_MONTHS,
    "contracts_won": indicators.CONTRACTS_WON,
    "people_hired": indicators.PEOPLE_HIRED,
}


@dataclass(frozen=True)
class ImpactFilters:
    """Which events: those given (ids), and/or those starting within from…to (days, inclusive,
    UTC). Nothing given: every event the organiser manages."""

    events: tuple[int, ...] = ()
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class NationalRow:
    kind: str
    answers: int
    mean: float | None  # None when answers < MIN_GROUP
    baseline: float | None


@dataclass
class ReachRow:
    country: str
    kind: str
    organisations: int
    came_back: int  # came to more than one event in scope
    first_contact: date | None  # the earliest event start among them


@dataclass
class Report:
    filters: ImpactFilters
    events: list[tuple[int, str, str]]  # (id, slug, title) in scope, by start
    people: Funnel
    organisations: Funnel
    # dimension -> [(value, Funnel of people)]; event values are slugs, months "YYYY-MM"
    breakdowns: dict[str, list[tuple[str, Funnel]]]
    procurements: dict[str, int]  # basic, advanced, spearhead, total
    placements: dict[str, int]  # employment…trainee, total, newly_arrived, fulltime_months, …
    suppliers: dict[str, int]  # contracts_won, people_hired
    national_question: list[NationalRow]
    reach: list[ReachRow]
    new_organisations_by_month: list[tuple[str, int]] = field(default_factory=list)


def parse_period(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """The report's from and to days as the page and the API take them (YYYY-MM-DD, empty
    for none); ValidationError naming each bad one, and `to` when it comes before `from`."""
    errors: dict[str, Any] = {}
    days: dict[str, date | None] = {}
    for name, value in (("from", start), ("to", end)):
        days[name] = None
        if value and value.strip():
            try:
                days[name] = date.fromisoformat(value.strip())
            except ValueError:
                errors[name] = _l("Enter a date as 2027-03-31.")
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = _l("The end date must not be before the start date.")
    if errors:
        raise ValidationError(errors)
    return days["from"], days["to"]


def events_in_scope(organiser: Organiser, filters: ImpactFilters) -> sa.Select:
    """SELECT Event.id of the events the report covers."""
    query = sa.select(Event.id)
    if not organiser.is_admin:
        query = query.where(
            sa.or_(
                Event.created_by_id == organiser.id,
                Event.id.in_(
                    sa.select(event_organiser.c.event_id).where(
                        event_organiser.c.organiser_id == organiser.id
                    )
                ),
            )
        )
    if filters.events:
        query = query.where(Event.id.in_(filters.events))
    if filters.date_from:
        query = query.where(Event.starts_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        query = query.where(Event.starts_at < end)
    return query


def _number_answers(scope: sa.Select) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """(question code, kind of organisation) -> (answers, their sum) for the number questions
    the report reads and the national question, from the kept sums (surveys/totals.py): a few
    rows per question and event, not every answer."""
    codes = [*NUMBER_CODES.values(), indicators.NATIONAL_QUESTION]
    kept = SurveyNumberTotal
    query = (
        sa.select(
            SurveyQuestion.code,
            kept.organisation_kind,
            sa.func.sum(kept.answers),
            sa.func.sum(kept.total),
        )
        .join(SurveyQuestion, SurveyQuestion.id == kept.question_id)
        .where(SurveyQuestion.code.in_(codes), kept.event_id.in_(scope))
        .group_by(SurveyQuestion.code, kept.organisation_kind)
    )
    return {
        (code, kind): (int(n), Decimal(total)) for code, kind, n, total in db.session.execute(query)
    }


def _numbers(answers: dict[tuple[str, str], tuple[int, Decimal]]) -> dict[str, int]:
    """The sums of the number questions the report reads, by their key in NUMBER_CODES."""
    by_code: dict[str, Decimal] = {}
    for (code, _kind), (_n, total) in answers.items():
        by_code[code] = by_code.get(code, Decimal(0)) + total
    return {key: int(by_code.get(code, 0)) for key, code in NUMBER_CODES.items()}


def _national(answers: dict[tuple[str, str], tuple[int, Decimal]]) -> list[NationalRow]:
    found = {
        kind: (n, float(total) / n)
        for (code, kind), (n, total) in answers.items()
        if code == indicators.NATIONAL_QUESTION and n
    }
    # The baseline's kinds always, in its order; the other kinds answered after them.
    kinds = list(NATIONAL_BASELINE_2018) + sorted(
        k for k in found if k not in NATIONAL_BASELINE_2018
    )
    rows = []
    for kind in kinds:
        n, mean = found.get(kind, (0, None))
        rows.append(
            NationalRow(
                kind=kind,
                answers=n,
                mean=round(mean, 2) if mean is not None and n >= MIN_GROUP else None,
                baseline=NATIONAL_BASELINE_2018.get(kind),
            )
        )
    return rows


def _reach(scope: sa.Select) -> tuple[list[ReachRow], list[tuple[str, int]]]:
    """The organisations reached by country and kind, and the new ones by the month of their
    first event, in one statement: one row per organisation (MATERIALIZED: made once for
    both groupings). Came back: more than one event in scope, that is its first and last
    event differ (no count of distinct events)."""
    per_org = (
        sa.select(
            Registration.organisation_id.label("organisation"),
            sa.func.min(Event.starts_at).label("first"),
            (sa.func.min(Registration.event_id) < sa.func.max(Registration.event_id)).label(
                "came_back"
            ),
        )
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.status == "confirmed", Registration.event_id.in_(scope))
        .group_by(Registration.organisation_id)
        .cte("per_org")
        .prefix_with("MATERIALIZED")
    )
    kind = kind_of()
    text = sa.String(40)
    by_kind = (
        sa.select(
            sa.literal("kind").label("part"),
            Organisation.country.label("country"),
            kind.label("kind"),
            sa.func.count().label("n"),
            sa.func.sum(sa.case((per_org.c.came_back, 1), else_=0)).label("back"),
            sa.func.min(per_org.c.first).label("first"),
        )
        .select_from(per_org)
        .join(Organisation, Organisation.id == per_org.c.organisation)
        .group_by(Organisation.country, kind)
    )
    month = month_of(per_org.c.first)
    by_month = (
        sa.select(
            sa.literal("month").label("part"),
            sa.cast(sa.null(), text).label("country"),
            month.label("kind"),
            sa.func.count().label("n"),
            sa.cast(sa.null(), sa.Integer).label("back"),
            sa.func.min(per_org.c.first).label("first"),
        )
        .select_from(per_org)
        .group_by(month)
    )
    rows, months = [], []
    parts = sa.union_all(by_kind, by_month).subquery("parts")
    ordered = sa.select(parts).order_by(parts.c.part, parts.c.country, parts.c.kind)
    for part, country, k, n, back, first in db.session.execute(ordered):
        if part == "month":
            months.append((k, int(n)))
            continue
        if isinstance(first, str):  # SQLite answers a MIN over a datetime as text
            first = datetime.fromisoformat(first)
        rows.append(ReachRow(country, k, int(n), int(back or 0), first.date() if first else None))
    return rows, months


def impact_report(organiser: Organiser, filters: ImpactFilters | None = None) -> Report:
    """The impact report over the events this organiser manages (admins: all) that the filters
    select. A fixed number of statements (6; 7 on PostgreSQL), whatever the data."""
    filters = filters or ImpactFilters()
    scope = events_in_scope(organiser, filters)
    events = [
        (i, slug, title)
        for i, slug, title in db.session.execute(
            sa.select(Event.id, Event.slug, Event.title)
            .where(Event.id.in_(scope))
            .order_by(Event.starts_at, Event.id)
        )
    ]
    funnels = all_funnels(scope)
    anonymous = anonymous_yes(scope)
    people = funnels.get(("person:", None), Funnel())
    add_anonymous(people, anonymous["total"][None])

    breakdowns: dict[str, list[tuple[str, Funnel]]] = {}
    for dimension in DIMENSIONS:
        found = {
            value: funnel
            for (grouping, value), funnel in funnels.items()
            if grouping == f"person:{dimension}"
        }
        for value, group in anonymous[dimension].items():
            # anonymous answers of a group nobody registered in get a funnel of their own
            add_anonymous(found.setdefault(value, Funnel()), group)
        breakdowns[dimension] = [(value, found[value]) for value in sorted(found, key=str)]

    answers = _number_answers(scope)
    numbers = _numbers(answers)
    procurements = {level: numbers[f"procurements_{level}"] for level in indicators.PROCUREMENTS}
    procurements["total"] = sum(procurements.values())
    placements = {kind: numbers[f"placements_{kind}"] for kind in indicators.PLACEMENTS}
    placements["total"] = sum(placements.values())
    for key in ("placements_newly_arrived", "fulltime_months", "placements_within_6_months"):
        placements[key.removeprefix("placements_")] = numbers[key]
    reach, by_month = _reach(scope)
    return Report(
        filters=filters,
        events=events,
        people=people,
        organisations=funnels.get(("organisation:", None), Funnel()),
        breakdowns=breakdowns,
        procurements=procurements,
        placements=placements,
        suppliers={
            "contracts_won": numbers["contracts_won"],
            "people_hired": numbers["people_hired"],
        },
        national_question=_national(answers),
        reach=reach,
        new_organisations_by_month=by_month,
    )


def resolve_events(organiser: Organiser, slugs: list[str]) -> tuple[int, ...] | None:
    """The ids of the events with these slugs that the organiser manages; None when one of
    them is not (no such event, or not theirs: the same answer, so nothing is revealed)."""
    if not slugs:
        return ()
    wanted = {s[:120] for s in slugs}
    found = db.session.execute(
        sa.select(Event.id, Event.slug).where(
            Event.slug.in_(wanted), Event.id.in_(events_in_scope(organiser, ImpactFilters()))
        )
    ).all()
    if len(found) != len(wanted):
        return None
    return tuple(sorted(i for i, _ in found))
