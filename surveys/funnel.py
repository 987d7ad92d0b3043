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
from surveys.models import RegistrationStage, Survey, SurveyAdoptionTotal, SurveyQuestion
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


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.case((condition, 1), else_=0)


# The stages after registering, each a bit of one number per registration (attended 1,
# downloaded 2, invited 4, answered 8, adopted 16): a fold by (value, person) then keeps one
# aggregate instead of one per stage, and the counting after it groups by (value, bits).
BITS = {stage: 1 << n for n, stage in enumerate(STAGES[1:])}
# SQLite has no bit_or: there each stage is a digit of DIGIT_BITS bits in a sum (three in one
# number, two in another; below 2**63), so a sum per (value, person) tells which stages any
# of the rows reached. Exact while a person has fewer than 2**21 registrations in a group (one
# per event: more than two million events).
DIGIT_BITS = 21
_DIGIT = (1 << DIGIT_BITS) - 1
_SUMS = {"low": STAGES[1:4], "high": STAGES[4:]}


def _people(scope: sa.Select) -> sa.CTE:
    """One row per confirmed registration in scope, with its dimensions and the stages it
    reached (`bits`; on SQLite also as the digits `low` and `high`), made once per report
    (MATERIALIZED: SQLite and PostgreSQL compute it once for every grouping that reads it).
    The stages after attending are the kept ones (surveys/stages.py): no row, none reached."""
    stage = RegistrationStage
    flags = {
        "attended": _flag(Registration.attended_at.is_not(None)),
        **{flag: _flag(stage.__table__.c[flag].is_(True)) for flag in STAGES[2:]},
    }
    columns = [
        sum((flags[s] * BITS[s] for s in STAGES[1:]), sa.literal(0)).label("bits"),
    ]
    if db.engine.dialect.name != "postgresql":
        columns += [
            sum(
                (flags[s] * (1 << (DIGIT_BITS * n)) for n, s in enumerate(stages)),
                sa.literal(0),
            ).label(name)
            for name, stages in _SUMS.items()
        ]
    # The event's and the organisation's values once each (a few hundred and a few thousand
    # rows), not once per registration.
    events = (
        sa.select(Event.id, Event.slug, month_of(Event.starts_at).label("month"))
        .where(Event.id.in_(scope))
        .subquery("events")
    )
    organisations = sa.select(
        Organisation.id, kind_of().label("kind"), Organisation.country
    ).subquery("organisations")
    return (
        sa.select(
            Registration.email.label("person"),
            Registration.organisation_id.label("organisation"),
            Registration.target_group.label("target_group"),
            events.c.slug.label("event"),
            organisations.c.kind,
            organisations.c.country,
            events.c.month,
            *columns,
        )
        .join(events, events.c.id == Registration.event_id)
        .join(organisations, organisations.c.id == Registration.organisation_id)
        .outerjoin(stage, stage.registration_id == Registration.id)
        .where(Registration.status == "confirmed")
        .cte("people")
        .prefix_with("MATERIALIZED")
    )


def _groupings() -> list[tuple[str, list[str], str | None]]:
    """(grouping's key, the columns it folds by, its dimension) of every funnel folded by
    person (or by organisation)."""
    return [("person:", ["person"], None), ("organisation:", ["organisation"], None)] + [
        (f"person:{d}", [d, "person"], d) for d in DIMENSIONS if d not in ONE_ROW_PER_PERSON
    ]


def _folded_bits_sqlite(people: sa.CTE) -> sa.ColumnElement[int]:
    """The stages any row of a fold reached, as bits, from the sums of the digits."""
    bits: sa.ColumnElement[int] = sa.literal(0)
    for name, stages in _SUMS.items():
        total = sa.func.sum(people.c[name])
        for n, stage in enumerate(stages):
            digit = total.op(">>")(DIGIT_BITS * n).op("&")(_DIGIT)
            bits = bits + sa.case((digit > 0, BITS[stage]), else_=0)
    return bits


def _folds(people: sa.CTE) -> list[sa.Select]:
    """SELECT grouping, value, bits, count: how many (value, person) pairs reached exactly
    those stages; one statement part per grouping on SQLite, one GROUPING SETS pass over the
    people on PostgreSQL."""
    null = sa.cast(sa.null(), sa.String(300))
    if db.engine.dialect.name == "postgresql":
        # GROUPING(these columns) has a bit for each left out of the set, the first highest:
        # it tells which set a folded row belongs to ("person" is in all but one).
        columns = ["organisation", *[d for _, _, d in _groupings() if d]]
        grouping = sa.func.grouping(*[people.c[c] for c in columns])
        pattern = {
            key: sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in keys)
            for key, keys, _ in _groupings()
        }
        folded = (
            sa.select(
                grouping.label("grouping"),
                sa.case(
                    *[(grouping == pattern[key], people.c[d]) for key, _, d in _groupings() if d],
                    else_=null,
                ).label("value"),
                sa.func.bit_or(people.c.bits).label("bits"),
            )
            .group_by(
                sa.func.grouping_sets(
                    *[sa.tuple_(*[people.c[c] for c in keys]) for _, keys, _ in _groupings()]
                )
            )
            .subquery("folded")
        )
        # Counted by the GROUPING number, named after the fold (fewer, cheaper keys).
        counted = (
            sa.select(folded.c.grouping, folded.c.value, folded.c.bits, sa.func.count().label("n"))
            .group_by(folded.c.grouping, folded.c.value, folded.c.bits)
            .subquery("counted")
        )
        name = sa.case(*[(counted.c.grouping == v, key) for key, v in pattern.items()])
        return [sa.select(name, counted.c.value, counted.c.bits, counted.c.n)]
    parts = []
    for key, keys, dimension in _groupings():
        value = (people.c[dimension] if dimension else null).label("value")
        folded = (
            sa.select(value, _folded_bits_sqlite(people).label("bits"))
            .group_by(*[people.c[c] for c in keys])
            .subquery()
        )
        parts.append(
            sa.select(
                sa.literal(key).label("grouping"), folded.c.value, folded.c.bits, sa.func.count()
            ).group_by(folded.c.value, folded.c.bits)
        )
    return parts


def all_funnels(scope: sa.Select) -> dict[tuple[str, str | None], Funnel]:
    """Every funnel of the report in one statement (on PostgreSQL after one that gives it
    memory): people in all and by each dimension, and organisations in all; keyed (grouping,
    value). Each grouping first folds the rows to one per (value, person) with the stages any
    of them reached (one aggregate: the stages as bits), then counts the folded rows by
    (value, bits); the event's rows need no fold (ONE_ROW_PER_PERSON). The few rows that come
    back (at most 32 per value) are added up here."""
    people = _people(scope)
    if db.engine.dialect.name == "postgresql":
        # The folds hash 100,000 rows each: in 4 MB (the default) they spill to disk in
        # batches; for this transaction only, room to do them in memory.
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{FOLD_WORK_MEM}'"))
    parts = _folds(people) + [
        sa.select(
            sa.literal(f"person:{d}").label("grouping"),
            people.c[d].label("value"),
            people.c.bits,
            sa.func.count(),
        ).group_by(people.c[d], people.c.bits)
        for d in ONE_ROW_PER_PERSON
    ]
    funnels: dict[tuple[str, str | None], Funnel] = {}
    for grouping, value, bits, n in db.session.execute(sa.union_all(*parts)):
        funnel = funnels.setdefault((grouping, value), Funnel())
        funnel.registered += n
        for stage, bit in BITS.items():
            if bits & bit:
                setattr(funnel, stage, getattr(funnel, stage) + n)
    return funnels


@dataclass
class Anonymous:
    """A group's responses to the adoption question in anonymous surveys, and its yes ones."""

    answered: int = 0
    yes: int = 0


def anonymous_yes(scope: sa.Select) -> dict[str, dict[str | None, Anonymous]]:
    """The anonymous surveys' answers to the adoption question (by response: how many
    answered it, how many yes), by each dimension and in all ("total"); one statement over
    the kept counts (surveys.adoption: a few rows per event), grouped by all the dimensions at
    once and rolled up here (a few hundred rows at most)."""
    kept = SurveyAdoptionTotal
    columns = {
        "target_group": kept.target_group,
        "event": Event.slug,
        "kind": kept.organisation_kind,
        "country": kept.country,
        "month": month_of(Event.starts_at),
    }
    query = (
        sa.select(*columns.values(), sa.func.sum(kept.responses), sa.func.sum(kept.yes))
        .join(SurveyQuestion, SurveyQuestion.id == kept.question_id)
        .join(Survey, Survey.id == SurveyQuestion.survey_id)
        .join(Event, Event.id == kept.event_id)
        .where(
            Survey.anonymous.is_(True),
            SurveyQuestion.code == indicators.USED,
            kept.event_id.in_(scope),
        )
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
