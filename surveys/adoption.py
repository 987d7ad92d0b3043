"""The kept counts of the adoption question's answers (SurveyAdoptionTotal): added to in the
transaction that writes the answers, recounted by `flask --app app surveys totals`.

The impact report adds the anonymous surveys' yes answers to its adopted people, by each
dimension; at scale that is tens of thousands of answers, each looked up with its response,
while the kept rows are a few per event. Kept by the session's flush (as surveys.stages keeps
the stages), so every way answers are added through the ORM keeps them: after each flush, the
new answers to the adoption question are counted by response and added with one upsert, which
only ever adds, so two transactions at once cannot lose an addition. A response's answers are
written with it (surveys.answering writes them at once; a response is never changed). Rows
written around the ORM (the scale benchmark's bulk inserts) need `rebuild()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import db
from surveys import indicators
from surveys.models import (
    SurveyAdoptionTotal,
    SurveyAnswer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)

_TABLE = SurveyAdoptionTotal.__table__
KEYS = ["question_id", "event_id", "target_group", "organisation_kind", "country"]


def _counted(answers: Iterable[int] | None = None) -> sa.Select:
    """The counts as the answers (all, or these) tell them, by KEYS: the responses with an
    answer to the adoption question, and those of them that chose yes."""
    columns = [
        SurveyAnswer.question_id,
        SurveyResponse.event_id,
        SurveyResponse.target_group,
        SurveyResponse.organisation_kind,
        SurveyResponse.country,
    ]
    query = (
        sa.select(
            *columns,
            sa.func.count(sa.distinct(SurveyResponse.id)).label("responses"),
            sa.func.count(
                sa.distinct(sa.case((SurveyOption.code == indicators.ADOPTED, SurveyResponse.id)))
            ).label("yes"),
        )
        .select_from(SurveyAnswer)
        .join(
            SurveyOption,
            sa.and_(
                SurveyOption.id == SurveyAnswer.option_id,
                SurveyOption.question_id == SurveyAnswer.question_id,
            ),
        )
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyQuestion.code == indicators.USED, SurveyResponse.event_id.is_not(None))
        .group_by(*columns)
    )
    if answers is not None:
        query = query.where(SurveyAnswer.id.in_(list(answers)))
    return query


def _add(connection: sa.Connection, counted: sa.Select) -> None:
    """Add counted rows to the kept ones: INSERT … SELECT … ON CONFLICT DO UPDATE, atomic on
    both databases."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(_TABLE).from_select([*KEYS, "responses", "yes"], counted)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=KEYS,
            set_={
                "responses": _TABLE.c.responses + insert.excluded.responses,
                "yes": _TABLE.c.yes + insert.excluded.yes,
            },
        )
    )


@sa.event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    # session.new still holds what this flush inserted (the answers now have their ids).
    answers = [
        row.id for row in session.new if isinstance(row, SurveyAnswer) and row.option_id is not None
    ]
    if answers:
        _add(session.connection(), _counted(answers))


@dataclass(frozen=True)
class Difference:
    key: tuple[Any, ...]  # KEYS
    kept: tuple[int, int]  # responses, yes
    counted: tuple[int, int]


def recount() -> list[Difference]:
    """Every kept count that differs from the answers (a missing row counts as none)."""
    kept = {
        tuple(r[k] for k in KEYS): (r.responses, r.yes)
        for r in db.session.execute(sa.select(_TABLE)).mappings()
    }
    counted = {
        tuple(r[k] for k in KEYS): (int(r.responses), int(r.yes))
        for r in db.session.execute(_counted()).mappings()
    }
    none = (0, 0)
    return [
        Difference(key, kept.get(key, none), counted.get(key, none))
        for key in sorted(kept.keys() | counted.keys(), key=str)
        if kept.get(key, none) != counted.get(key, none)
    ]


def rebuild() -> None:
    """Replace the kept counts by the recount, in one transaction."""
    db.session.execute(sa.delete(_TABLE))
    db.session.execute(sa.insert(_TABLE).from_select([*KEYS, "responses", "yes"], _counted()))
    db.session.commit()
