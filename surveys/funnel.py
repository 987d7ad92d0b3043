"""The funnel of the impact report: for the confirmed registrations of the events in scope,
the stages each reached (registered → attended → took a material → invited → answered →
adopted), counted in people and in organisations, in all and by each dimension.

The stage flags are made once per report (a MATERIALIZED CTE joined to one grouped row per
registration), and every funnel comes from them in one statement. Counting rules: see
surveys/impact.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.db import db
from events.models import Event
from participants.models import Organisation, Registration
from participants.organisations import kind_of
from surveys import indicators
from surveys.models import (
    RegistrationStage,
    Survey,
    SurveyAnswer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)
from surveys.results import too_few

STAGES = ("registered", "attended", "downloaded", "invited", "answered", "adopted")
DIMENSIONS = ("target_group", "event", "kind", "country", "month")
# An address has one active registration per event (uq_registration_active_email), so within
# one event nobody is counted twice: its funnel needs no fold by person.
ONE_ROW_PER_PERSON = ("event",)
FOLD_WORK_MEM = "64MB"


@dataclass
class Funnel:
    registered: int = 0
    attended: int = 0
    downloaded: int = 0
    invited: int = 0
    answered: int = 0
    adopted: int | None = 0  # None: withheld, see add_anonymous
    suppressed: bool = False  # the adopted figure is withheld

    def as_dict(self) -> dict[str, int | None]:
        return {stage: getattr(self, stage) for stage in STAGES}


def month_of(column: Any) -> sa.ColumnElement[str]:
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _anonymous_adoption_answers() -> tuple[sa.Select, sa.Subquery]:
    """SELECT … FROM the options of the adoption question in anonymous surveys (a few rows,
    each with whether it means yes) JOIN their answers (by the (question, option) index)
    JOIN the responses; and the options, for their yes column."""
    options = (
        sa.select(
            SurveyOption.id,
            SurveyOption.question_id,
            (SurveyOption.code == indicators.ADOPTED).label("yes"),
        )
        .join(SurveyQuestion, SurveyQuestion.id == SurveyOption.question_id)
        .join(Survey, Survey.id == SurveyQuestion.survey_id)
        .where(Survey.anonymous.is_(True), SurveyQuestion.code == indicators.USED)
        .subquery("options")
    )
    return (
        sa.select(options.c.yes)
        .select_from(options)
        .join(
            SurveyAnswer,
            sa.and_(
                SurveyAnswer.question_id == options.c.question_id,
                SurveyAnswer.option_id == options.c.id,
            ),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
    ), options


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.case((condition, 1), else_=0)


def _people(scope: sa.Select) -> sa.CTE:
    """One row per confirmed registration in scope, with its dimensions and its stage flags
    (0 or 1), made once per report (MATERIALIZED: SQLite and PostgreSQL compute it once for
    every grouping that reads it). The flags after attending are the kept ones
    (surveys/stages.py): no row, none reached."""
    stage = RegistrationStage
    return (
        sa.select(
            Registration.email.label("person"),
            Registration.organisation_id.label("organisation"),
            Registration.target_group.label("target_group"),
            Event.slug.label("event"),
            kind_of().label("kind"),
            Organisation.country.label("country"),
            month_of(Event.starts_at).label("month"),
            _flag(Registration.attended_at.is_not(None)).label("attended"),
            *[_flag(stage.__table__.c[flag].is_(True)).label(flag) for flag in STAGES[2:]],
        )
        .join(Event, Event.id == Registration.event_id)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .outerjoin(stage, stage.registration_id == Registration.id)
        .where(Registration.status == "confirmed", Registration.event_id.in_(scope))
        .cte("people")
        .prefix_with("MATERIALIZED")
    )


def all_funnels(scope: sa.Select) -> dict[tuple[str, str | None], Funnel]:
    """Every funnel of the report in one statement (on PostgreSQL after one that gives it
    memory): people in all and by each dimension, and organisations in all; keyed (grouping,
    value). Each grouping first folds the rows to one per (value, person) with the stages it
    reached, then counts and sums those (a sort or hash per grouping instead of a distinct
    count per stage); the event's rows need no fold (ONE_ROW_PER_PERSON)."""
    people = _people(scope)
    if db.engine.dialect.name == "postgresql":
        # The folds hash 100,000 rows each: in 4 MB (the default) they spill to disk in
        # batches; for this transaction only, room to do them in memory.
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{FOLD_WORK_MEM}'"))
    parts = []
    for who, grouping in [("person", None), ("organisation", None)] + [
        ("person", d) for d in DIMENSIONS
    ]:
        value = (people.c[grouping] if grouping else sa.cast(sa.null(), sa.String(300))).label(
            "value"
        )
        if grouping in ONE_ROW_PER_PERSON:
            rows = people  # nothing to fold: counted directly, without a sort by person
        else:
            keys = [value, people.c[who]] if grouping else [people.c[who]]
            rows = (
                sa.select(
                    value, *[sa.func.max(people.c[stage]).label(stage) for stage in STAGES[1:]]
                )
                .group_by(*keys)
                .subquery()
            )
        parts.append(
            sa.select(
                sa.literal(f"{who}:{grouping or ''}").label("grouping"),
                rows.c[value.name if rows is not people else grouping].label("value"),
                sa.func.count().label("registered"),
                *[sa.func.sum(rows.c[stage]).label(stage) for stage in STAGES[1:]],
            ).group_by(rows.c[value.name if rows is not people else grouping])
        )
    return {
        (row.grouping, row.value): funnel_of(row)
        for row in db.session.execute(sa.union_all(*parts))
    }


@dataclass
class Anonymous:
    """A group's responses to the adoption question in anonymous surveys, and its yes ones."""

    answered: int = 0
    yes: int = 0


def anonymous_yes(scope: sa.Select) -> dict[str, dict[str | None, Anonymous]]:
    """The anonymous surveys' answers to the adoption question (by response: how many
    answered it, how many yes), by each dimension and in all ("total"); one statement,
    grouped by all of them at once and rolled up here (a few hundred rows at most)."""
    columns = {
        "target_group": SurveyResponse.target_group,
        "event": Event.slug,
        "kind": SurveyResponse.organisation_kind,
        "country": SurveyResponse.country,
        "month": month_of(Event.starts_at),
    }
    answers, options = _anonymous_adoption_answers()
    query = (
        answers.with_only_columns(
            *columns.values(),
            sa.func.count(sa.distinct(SurveyResponse.id)),
            sa.func.count(sa.distinct(sa.case((options.c.yes, SurveyResponse.id)))),
        )
        .join(Event, Event.id == SurveyResponse.event_id)
        .where(SurveyResponse.event_id.in_(scope))
        .group_by(*columns.values())
    )
    by: dict[str, dict[str | None, Anonymous]] = {dimension: {} for dimension in DIMENSIONS}
    by["total"] = {None: Anonymous()}
    for row in db.session.execute(query):
        answered, yes = int(row[-2]), int(row[-1])
        for dimension, value in [("total", None), *zip(DIMENSIONS, row[:-2], strict=True)]:
            group = by[dimension].setdefault(value, Anonymous())
            group.answered += answered
            group.yes += yes
    return by


def add_anonymous(funnel: Funnel, anonymous: Anonymous) -> None:
    """Add a group's anonymous yes answers to its adopted people; when fewer than MIN_GROUP
    anonymous responses stand behind them, the figure is withheld (surveys.results' rule for
    small numbers: a small group can point at a person)."""
    if anonymous.answered and too_few(anonymous.answered):
        funnel.adopted = None
        funnel.suppressed = True
    elif funnel.adopted is not None:
        funnel.adopted += anonymous.yes


def funnel_of(row: Any, extra_adopted: int = 0) -> Funnel:
    values = {stage: int(getattr(row, stage) or 0) for stage in STAGES}
    values["adopted"] += extra_adopted
    return Funnel(**values)
