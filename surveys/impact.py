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


def _yes_responses(anonymous: bool) -> sa.Select:
    """SELECT the responses (with their survey) answering yes to the adoption question."""
    return (
        sa.select(SurveyResponse.id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(SurveyOption, SurveyOption.id == SurveyAnswer.option_id)
        .where(
            Survey.anonymous.is_(anonymous),
            SurveyQuestion.code == indicators.USED,
            SurveyOption.code == indicators.ADOPTED,
        )
    )


def _people_rows(scope: sa.Select) -> sa.Subquery:
    """One row per confirmed registration in scope, with its dimensions and stage flags."""
    downloaded = sa.exists().where(MaterialDownload.registration_id == Registration.id)
    invited = sa.exists().where(SurveyInvitation.registration_id == Registration.id)
    answered = sa.exists(
        sa.select(SurveyAnswered.invitation_id)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswered.invitation_id)
        .where(SurveyInvitation.registration_id == Registration.id)
    )
    adopted = sa.exists(
        _yes_responses(anonymous=False)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
        .where(SurveyInvitation.registration_id == Registration.id)
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
            Registration.attended_at.is_not(None).label("attended"),
            downloaded.label("downloaded"),
            invited.label("invited"),
            answered.label("answered"),
            adopted.label("adopted"),
        )
        .join(Event, Event.id == Registration.event_id)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.status == "confirmed", Registration.event_id.in_(scope))
        .subquery("people")
    )


def _stage_counts(rows: sa.Subquery, who: str) -> list[Any]:
    """count(DISTINCT who) for each stage (registered first)."""
    key = rows.c[who]
    counts: list[Any] = [sa.func.count(sa.distinct(key)).label("registered")]
    for stage in STAGES[1:]:
        counts.append(sa.func.count(sa.distinct(sa.case((rows.c[stage], key)))).label(stage))
    return counts


def _anonymous_yes(scope: sa.Select, dimension: str | None) -> dict[str | None, int]:
    """Yes answers of anonymous surveys (by response), by dimension; one statement."""
    responses = _yes_responses(anonymous=True).where(SurveyResponse.event_id.in_(scope))
    column: Any
    if dimension is None:
        column = sa.literal(None)
    elif dimension == "event":
        column = Event.slug
    elif dimension == "month":
        column = _month(Event.starts_at)
    elif dimension == "kind":
        column = SurveyResponse.organisation_kind
    else:
        column = getattr(SurveyResponse, dimension)
    query = (
        sa.select(column.label("value"), sa.func.count(sa.distinct(SurveyResponse.id)))
        .select_from(SurveyResponse)
        .join(Event, Event.id == SurveyResponse.event_id)
        .where(SurveyResponse.id.in_(responses))
        .group_by(column)
    )
    return {value: count for value, count in db.session.execute(query)}


def _funnel(row: Any, extra_adopted: int = 0) -> Funnel:
    values = {stage: int(getattr(row, stage) or 0) for stage in STAGES}
    values["adopted"] += extra_adopted
    return Funnel(**values)


def _numbers(scope: sa.Select) -> dict[str, int]:
    """The sums of the number questions the report reads, by their key in NUMBER_CODES."""
    query = (
        sa.select(SurveyQuestion.code, sa.func.coalesce(sa.func.sum(SurveyAnswer.number), 0))
        .select_from(SurveyAnswer)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(
            SurveyQuestion.code.in_(list(NUMBER_CODES.values())),
            SurveyResponse.event_id.in_(scope),
        )
        .group_by(SurveyQuestion.code)
    )
    by_code = {code: int(total) for code, total in db.session.execute(query)}
    return {key: by_code.get(code, 0) for key, code in NUMBER_CODES.items()}


def _national(scope: sa.Select) -> list[NationalRow]:
    query = (
        sa.select(
            SurveyResponse.organisation_kind,
            sa.func.count(SurveyAnswer.id),
            sa.func.avg(SurveyAnswer.number),
        )
        .select_from(SurveyAnswer)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(
            SurveyQuestion.code == indicators.NATIONAL_QUESTION,
            SurveyAnswer.number.is_not(None),
            SurveyResponse.event_id.in_(scope),
        )
        .group_by(SurveyResponse.organisation_kind)
    )
    found = {kind: (int(n), float(mean)) for kind, n, mean in db.session.execute(query)}
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
    select. A fixed number of statements (17), whatever the data."""
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
    rows = _people_rows(scope)
    people_row = db.session.execute(sa.select(*_stage_counts(rows, "person"))).one()
    org_row = db.session.execute(sa.select(*_stage_counts(rows, "organisation"))).one()
    anonymous_total = sum(_anonymous_yes(scope, None).values())

    breakdowns: dict[str, list[tuple[str, Funnel]]] = {}
    for dimension in DIMENSIONS:  # a fixed number: two statements each
        column = rows.c[dimension]
        query = sa.select(column, *_stage_counts(rows, "person")).group_by(column).order_by(column)
        anonymous = _anonymous_yes(scope, dimension)
        found = {
            row[0]: _funnel(row, anonymous.pop(row[0], 0)) for row in db.session.execute(query)
        }
        for value, n in anonymous.items():  # anonymous answers of a group nobody registered in
            found[value] = Funnel(adopted=n)
        breakdowns[dimension] = [(value, found[value]) for value in sorted(found, key=str)]

    numbers = _numbers(scope)
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
        people=_funnel(people_row, anonymous_total),
        organisations=_funnel(org_row),
        breakdowns=breakdowns,
        procurements=procurements,
        placements=placements,
        suppliers={
            "contracts_won": numbers["contracts_won"],
            "people_hired": numbers["people_hired"],
        },
        national_question=_national(scope),
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
