"""The kept sums of numeric answers (SurveyNumberTotal): added to in the transaction that
stores a response, recounted from the answers by `flask --app app surveys totals`.

The impact report sums hundreds of thousands of number answers at scale; reading them costs
seconds on SQLite however they are indexed, while the kept rows are a few per question and
event. The same rule as the kept seat counts: keep counts instead of counting rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db
from surveys.models import SurveyAnswer, SurveyNumberTotal, SurveyQuestion, SurveyResponse

NUMERIC_TYPES = ("number", "likert5")
_TABLE = SurveyNumberTotal.__table__
_KEYS = ["question_id", "event_id", "organisation_kind"]


def add_response(response: SurveyResponse, numbers: dict[int, Decimal]) -> None:
    """Add a response's numeric answers ({question id: number}) to the kept sums, in the
    caller's transaction: one upsert per question (INSERT … ON CONFLICT DO UPDATE, atomic on
    both databases, so concurrent responses never lose an addition)."""
    if response.event_id is None or not numbers:
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    rows = [
        {
            "question_id": question_id,
            "event_id": response.event_id,
            "organisation_kind": response.organisation_kind,
            "answers": 1,
            "total": number,
        }
        for question_id, number in sorted(numbers.items())  # one order: no deadlocks
    ]
    insert = dialect.insert(_TABLE)
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=_KEYS,
            set_={
                "answers": _TABLE.c.answers + insert.excluded.answers,
                "total": _TABLE.c.total + insert.excluded.total,
            },
        ),
        rows,
    )


def _counted() -> sa.Select:
    """The sums as the answers tell them, by the same keys."""
    return (
        sa.select(
            SurveyAnswer.question_id,
            SurveyResponse.event_id,
            SurveyResponse.organisation_kind,
            sa.func.count(SurveyAnswer.number).label("answers"),
            sa.func.sum(SurveyAnswer.number).label("total"),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(
            SurveyQuestion.type.in_(NUMERIC_TYPES),
            SurveyAnswer.number.is_not(None),
            SurveyResponse.event_id.is_not(None),
        )
        .group_by(
            SurveyAnswer.question_id, SurveyResponse.event_id, SurveyResponse.organisation_kind
        )
    )


@dataclass(frozen=True)
class Difference:
    question_id: int
    event_id: int
    organisation_kind: str
    kept: tuple[int, Decimal]
    counted: tuple[int, Decimal]


def recount() -> list[Difference]:
    """Every kept sum that differs from the answers (a missing row counts as 0 answers)."""
    kept = {
        (r.question_id, r.event_id, r.organisation_kind): (r.answers, Decimal(r.total))
        for r in db.session.execute(sa.select(_TABLE))
    }
    counted = {
        (r.question_id, r.event_id, r.organisation_kind): (int(r.answers), Decimal(r.total))
        for r in db.session.execute(_counted())
    }
    zero = (0, Decimal(0))
    return [
        Difference(*key, kept=kept.get(key, zero), counted=counted.get(key, zero))
        for key in sorted(kept.keys() | counted.keys())
        if kept.get(key, zero) != counted.get(key, zero)
    ]


def rebuild() -> None:
    """Replace the kept sums by the recount, in one transaction (after data was written
    directly, as the scale benchmark does, or to mend a difference `recount` found)."""
    db.session.execute(sa.delete(_TABLE))
    db.session.execute(
        sa.insert(_TABLE).from_select(
            ["question_id", "event_id", "organisation_kind", "answers", "total"], _counted()
        )
    )
    db.session.commit()
