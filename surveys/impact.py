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
from materials.models import MaterialDownload
from participants.kinds import NATIONAL_BASELINE_2018
from participants.models import Organisation, Registration
from surveys import indicators
from surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyAnswered,
    SurveyInvitation,
    SurveyNumberTotal,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)

STAGES = ("registered", "attended", "downloaded", "invited", "answered", "adopted")
DIMENSIONS = ("target_group", "event", "kind", "country", "month")
MIN_GROUP = 5  # fewer answers than this: the mean is withheld

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
class Funnel:
    registered: int = 0
    attended: int = 0
    downloaded: int = 0
    invited: int = 0
    answered: int = 0
    adopted: int = 0

    def as_dict(self) -> dict[str, int]:
        return {stage: getattr(self, stage) for stage in STAGES}


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


def _month(column: Any) -> sa.ColumnElement[str]:
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _kind(org: Any = Organisation) -> sa.ColumnElement[str]:
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


def _yes_options(anonymous: bool) -> sa.Subquery:
    """The options (id, question) that answer yes to the adoption question, in anonymous or in
    named surveys: a few rows, from which the answers are read by the (question, option)
    index rather than joining every answer to its question and option."""
    return (
        sa.select(SurveyOption.id, SurveyOption.question_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyOption.question_id)
        .join(Survey, Survey.id == SurveyQuestion.survey_id)
        .where(
            Survey.anonymous.is_(anonymous),
            SurveyQuestion.code == indicators.USED,
            SurveyOption.code == indicators.ADOPTED,
        )
        .subquery("yes")
    )


def _yes_answers(anonymous: bool) -> sa.Select:
    """SELECT … FROM the yes options JOIN their answers JOIN the responses."""
    yes = _yes_options(anonymous)
    return (
        sa.select(SurveyResponse.id)
        .select_from(yes)
        .join(
            SurveyAnswer,
            sa.and_(
                SurveyAnswer.question_id == yes.c.question_id, SurveyAnswer.option_id == yes.c.id
            ),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
    )


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.case((condition, 1), else_=0)


def _people(scope: sa.Select) -> sa.CTE:
    """One row per confirmed registration in scope, with its dimensions and its stage flags
    (0 or 1), made once per report (MATERIALIZED: SQLite and PostgreSQL compute it once for
    every grouping that reads it). The flags come from joins to one grouped row per
    registration, not from a subquery per registration."""
    downloads = (
        sa.select(MaterialDownload.registration_id.label("registration"))
        .distinct()
        .subquery("downloads")
    )
    adopted = (
        _yes_answers(anonymous=False)
        .with_only_columns(SurveyResponse.invitation_id.label("invitation"))
        .distinct()
        .subquery("adopted")
    )
    surveyed = (
        sa.select(
            SurveyInvitation.registration_id.label("registration"),
            sa.func.max(_flag(SurveyAnswered.invitation_id.is_not(None))).label("answered"),
            sa.func.max(_flag(adopted.c.invitation.is_not(None))).label("adopted"),
        )
        .outerjoin(SurveyAnswered, SurveyAnswered.invitation_id == SurveyInvitation.id)
        .outerjoin(adopted, adopted.c.invitation == SurveyInvitation.id)
        .where(SurveyInvitation.registration_id.is_not(None))
        .group_by(SurveyInvitation.registration_id)
        .subquery("surveyed")
    )
    return (
        sa.select(
            Registration.email.label("person"),
            Registration.organisation_id.label("organisation"),
            Registration.target_group.label("target_group"),
            Event.slug.label("event"),
            _kind().label("kind"),
            Organisation.country.label("country"),
            _month(Event.starts_at).label("month"),
            _flag(Registration.attended_at.is_not(None)).label("attended"),
            _flag(downloads.c.registration.is_not(None)).label("downloaded"),
            _flag(surveyed.c.registration.is_not(None)).label("invited"),
            sa.func.coalesce(surveyed.c.answered, 0).label("answered"),
            sa.func.coalesce(surveyed.c.adopted, 0).label("adopted"),
        )
        .join(Event, Event.id == Registration.event_id)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .outerjoin(downloads, downloads.c.registration == Registration.id)
        .outerjoin(surveyed, surveyed.c.registration == Registration.id)
        .where(Registration.status == "confirmed", Registration.event_id.in_(scope))
        .cte("people")
        .prefix_with("MATERIALIZED")
    )


def _funnels(scope: sa.Select) -> dict[tuple[str, str | None], Funnel]:
    """Every funnel of the report in one statement: people in all and by each dimension, and
    organisations in all; keyed (grouping, value). Each grouping first folds the rows to one
    per (value, person) with the stages it reached, then counts and sums those: a sort per
    grouping instead of a distinct count per stage."""
    people = _people(scope)
    parts = []
    for who, grouping in [("person", None), ("organisation", None)] + [
        ("person", d) for d in DIMENSIONS
    ]:
        value = (people.c[grouping] if grouping else sa.cast(sa.null(), sa.String(300))).label(
            "value"
        )
        keys = [value, people.c[who]] if grouping else [people.c[who]]
        folded = (
            sa.select(value, *[sa.func.max(people.c[stage]).label(stage) for stage in STAGES[1:]])
            .group_by(*keys)
            .subquery()
        )
        parts.append(
            sa.select(
                sa.literal(f"{who}:{grouping or ''}").label("grouping"),
                folded.c.value,
                sa.func.count().label("registered"),
                *[sa.func.sum(folded.c[stage]).label(stage) for stage in STAGES[1:]],
            ).group_by(folded.c.value)
        )
    return {
        (row.grouping, row.value): _funnel(row) for row in db.session.execute(sa.union_all(*parts))
    }


def _anonymous_yes(scope: sa.Select) -> dict[str, dict[str | None, int]]:
    """Yes answers of anonymous surveys (by response), by each dimension; one statement,
    grouped by all of them at once and rolled up here (a few hundred rows at most)."""
    columns = {
        "target_group": SurveyResponse.target_group,
        "event": Event.slug,
        "kind": SurveyResponse.organisation_kind,
        "country": SurveyResponse.country,
        "month": _month(Event.starts_at),
    }
    query = (
        _yes_answers(anonymous=True)
        .with_only_columns(*columns.values(), sa.func.count(sa.distinct(SurveyResponse.id)))
        .join(Event, Event.id == SurveyResponse.event_id)
        .where(SurveyResponse.event_id.in_(scope))
        .group_by(*columns.values())
    )
    by: dict[str, dict[str | None, int]] = {dimension: {} for dimension in DIMENSIONS}
    by["total"] = {None: 0}
    for row in db.session.execute(query):
        count = int(row[-1])
        by["total"][None] += count
        for dimension, value in zip(DIMENSIONS, row[:-1], strict=True):
            by[dimension][value] = by[dimension].get(value, 0) + count
    return by


def _funnel(row: Any, extra_adopted: int = 0) -> Funnel:
    values = {stage: int(getattr(row, stage) or 0) for stage in STAGES}
    values["adopted"] += extra_adopted
    return Funnel(**values)


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
    per_org = (
        sa.select(
            Registration.organisation_id.label("organisation"),
            sa.func.min(Event.starts_at).label("first"),
            sa.func.count(sa.distinct(Registration.event_id)).label("events"),
        )
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.status == "confirmed", Registration.event_id.in_(scope))
        .group_by(Registration.organisation_id)
        .subquery("per_org")
    )
    kind = _kind()
    query = (
        sa.select(
            Organisation.country,
            kind,
            sa.func.count(),
            sa.func.sum(sa.case((per_org.c.events > 1, 1), else_=0)),
            sa.func.min(per_org.c.first),
        )
        .select_from(per_org)
        .join(Organisation, Organisation.id == per_org.c.organisation)
        .group_by(Organisation.country, kind)
        .order_by(Organisation.country, kind)
    )
    rows = []
    for country, k, n, back, first in db.session.execute(query):
        if isinstance(first, str):  # SQLite answers a MIN over a datetime as text
            first = datetime.fromisoformat(first)
        rows.append(ReachRow(country, k, int(n), int(back or 0), first.date() if first else None))
    month = _month(per_org.c.first)
    by_month = db.session.execute(
        sa.select(month, sa.func.count()).select_from(per_org).group_by(month).order_by(month)
    )
    return rows, [(m, int(n)) for m, n in by_month]


def impact_report(organiser: Organiser, filters: ImpactFilters | None = None) -> Report:
    """The impact report over the events this organiser manages (admins: all) that the filters
    select. A fixed number of statements (7), whatever the data."""
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
    funnels = _funnels(scope)
    anonymous = _anonymous_yes(scope)
    people = funnels.get(("person:", None), Funnel())
    people.adopted += anonymous["total"][None]

    breakdowns: dict[str, list[tuple[str, Funnel]]] = {}
    for dimension in DIMENSIONS:
        found = {
            value: funnel
            for (grouping, value), funnel in funnels.items()
            if grouping == f"person:{dimension}"
        }
        for value, n in anonymous[dimension].items():
            # anonymous answers of a group nobody registered in get a funnel of their own
            found.setdefault(value, Funnel()).adopted += n
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
