"""A survey's results: per question the counts and percentages per option (a likert5 question
per value 1…5), the mean and median of likert and number questions, the number answering, the
free texts; the number of responses and of invitations. Broken down by target group, event,
kind of organisation and country.

A fixed number of statements whatever the number of responses: the questions with their
options (2), the responses (1), the answers per question (count, AVG) (1), per question and
option (1), per question and value (1; the median is read from these value counts, which are at
most as many as the distinct values, not from the answer rows), the free texts (1) and the
invitations (1).

Small numbers: in an anonymous survey, a breakdown behind which fewer than MIN_GROUP people
stand (the filtered responses, or a question's answers) shows no figures and no texts, only
that they are "fewer than 5", so no one can be singled out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from core.db import db
from core.errors import ServiceError, ValidationError
from core.identifiers import COUNTRIES
from events.models import TARGET_GROUPS
from participants.kinds import KINDS
from surveys.content import survey_text
from surveys.models import (
    CHOICE_TYPES,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

MIN_GROUP = 5


def too_few(responses: int) -> bool:
    """The rule for small numbers: an anonymous survey's figures behind fewer than MIN_GROUP
    responses are not shown (here and in the impact report), so no one can be singled out."""
    return responses < MIN_GROUP


class TooFewToExport(ServiceError):
    """An anonymous survey's responses under the filters are fewer than MIN_GROUP: a file of
    them could point at a person, so none is made."""

    status = 409
    code = "too_few_responses"

    def __init__(self) -> None:
        super().__init__(_l("Fewer than %(num)s responses match these filters. The survey is "
                            "anonymous, so they cannot be downloaded: choose wider filters.",
                            num=MIN_GROUP))  # fmt: skip


TEXT_TYPES = ("short_text", "long_text")
SCALE_TYPES = ("likert5", "number")
LIKERT_VALUES = (1, 2, 3, 4, 5)
FILTER_FIELDS = ("target_group", "event", "organisation_kind", "country")


@dataclass(frozen=True)
class Filters:
    target_group: str | None = None
    event: int | None = None  # an event id
    organisation_kind: str | None = None
    country: str | None = None

    def active(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FILTER_FIELDS if getattr(self, k) not in (None, "")}


def parse_filters(args: Any) -> Filters:
    """Filters from a query string or form (a mapping of text); unknown values raise a
    ValidationError naming each field. Empty values mean no filter."""
    errors: dict[str, Any] = {}

    def text(name: str, choices: tuple[str, ...]) -> str | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if value not in choices:
            errors[name] = _l("Choose one of the listed values.")
        return value

    target_group = text("target_group", TARGET_GROUPS)
    kind = text("organisation_kind", KINDS)
    country = text("country", COUNTRIES)
    event: int | None = None
    raw_event = str(args.get("event") or "").strip()
    if raw_event:
        if raw_event.isdigit() and len(raw_event) < 10:
            event = int(raw_event)
        else:
            errors["event"] = _l("Must be an event's id.")
    if errors:
        raise ValidationError(errors)
    return Filters(target_group, event, kind, country)


@dataclass
class OptionResult:
    code: str
    label: str
    count: int | None  # None: suppressed
    percent: float | None  # of those answering the question


@dataclass
class QuestionResult:
    id: int
    code: str
    type: str
    text: str
    answered: int | None
    suppressed: bool
    options: list[OptionResult] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    survey_id: int
    anonymous: bool
    filters: Filters
    invited: int
    reminded: int
    responses: int | None  # None: suppressed (fewer than MIN_GROUP in an anonymous survey)
    suppressed: bool  # the whole filtered set is too small to show
    questions: list[QuestionResult]


def response_filter(survey: Survey, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions choosing the survey's responses under the filters."""
    conditions: list[sa.ColumnElement[bool]] = [SurveyResponse.survey_id == survey.id]
    if filters.target_group:
        conditions.append(SurveyResponse.target_group == filters.target_group)
    if filters.event is not None:
        conditions.append(SurveyResponse.event_id == filters.event)
    if filters.organisation_kind:
        conditions.append(SurveyResponse.organisation_kind == filters.organisation_kind)
    if filters.country:
        conditions.append(SurveyResponse.country == filters.country)
    return conditions


def median_of(counts: list[tuple[Decimal, int]]) -> float | None:
    """The median of values given as (value, how many) pairs: the middle one, or the mean of
    the two middle ones for an even count."""
    counts = sorted((v, c) for v, c in counts if c > 0)
    n = sum(c for _, c in counts)
    if n == 0:
        return None

    def value_at(position: int) -> Decimal:
        seen = 0
        for value, count in counts:
            if position < seen + count:
                return value
            seen += count
        raise IndexError(position)

    # 0-based positions of the middle value(s): the same one for an odd count.
    return float((value_at((n - 1) // 2) + value_at(n // 2)) / 2)


def _percent(count: int, of: int) -> float:
    return round(100.0 * count / of, 1) if of else 0.0


def invitation_counts(survey: Survey) -> tuple[int, int]:
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((SurveyInvitation.reminders_sent > 0, 1), else_=0)), 0
            ),
        ).where(SurveyInvitation.survey_id == survey.id)
    ).one()
    return int(row[0]), int(row[1])


def survey_questions(survey: Survey) -> list[SurveyQuestion]:
    return list(
        db.session.scalars(
            sa.select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey.id)
            .options(selectinload(SurveyQuestion.options))
            .order_by(SurveyQuestion.position, SurveyQuestion.id)
        )
    )


def survey_results(survey: Survey, filters: Filters | None = None) -> Results:
    """The survey's results under the filters (see the module's docstring)."""
    filters = filters or Filters()
    where = response_filter(survey, filters)
    chosen = sa.select(SurveyResponse.id).where(*where).scalar_subquery()
    in_set = SurveyAnswer.response_id.in_(chosen)
    questions = survey_questions(survey)
    invited, reminded = invitation_counts(survey)
    responses = (
        db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse).where(*where)) or 0
    )

    per_question = {
        qid: (int(answered), avg)
        for qid, answered, avg in db.session.execute(
            sa.select(
                SurveyAnswer.question_id,
                sa.func.count(sa.distinct(SurveyAnswer.response_id)),
                sa.func.avg(SurveyAnswer.number),
            )
            .where(in_set)
            .group_by(SurveyAnswer.question_id)
        )
    }
    per_option: dict[tuple[int, int], int] = {
        (qid, oid): int(n)
        for qid, oid, n in db.session.execute(
            sa.select(SurveyAnswer.question_id, SurveyAnswer.option_id, sa.func.count())
            .where(in_set, SurveyAnswer.option_id.is_not(None))
            .group_by(SurveyAnswer.question_id, SurveyAnswer.option_id)
        )
    }
    per_value: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for qid, value, n in db.session.execute(
        sa.select(SurveyAnswer.question_id, SurveyAnswer.number, sa.func.count())
        .where(in_set, SurveyAnswer.number.is_not(None))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.number)
    ):
        per_value[qid].append((Decimal(value), int(n)))
    texts: dict[int, list[str]] = defaultdict(list)
    text_questions = [q.id for q in questions if q.type in TEXT_TYPES]
    if text_questions:
        # Ordered by the text, never by the order of answering.
        for qid, text in db.session.execute(
            sa.select(SurveyAnswer.question_id, SurveyAnswer.text)
            .where(
                in_set,
                SurveyAnswer.question_id.in_(text_questions),
                SurveyAnswer.text.is_not(None),
                SurveyAnswer.text != "",
            )
            .order_by(SurveyAnswer.question_id, SurveyAnswer.text)
        ):
            texts[qid].append(text)

    whole_suppressed = survey.anonymous and too_few(responses)
    results = []
    for question in questions:
        answered, avg = per_question.get(question.id, (0, None))
        suppressed = survey.anonymous and (whole_suppressed or too_few(answered))
        result = QuestionResult(
            id=question.id,
            code=question.code,
            type=question.type,
            text=str(survey_text(question, "text", survey.language)),
            answered=None if suppressed else answered,
            suppressed=suppressed,
        )
        if question.type in CHOICE_TYPES:
            for option in question.options:
                n = per_option.get((question.id, option.id), 0)
                result.options.append(
                    OptionResult(
                        option.code,
                        str(survey_text(option, "label", survey.language)),
                        None if suppressed else n,
                        None if suppressed else _percent(n, answered),
                    )
                )
        elif question.type == "likert5":
            by_value = {int(v): n for v, n in per_value.get(question.id, [])}
            for value in LIKERT_VALUES:
                n = by_value.get(value, 0)
                result.options.append(
                    OptionResult(
                        str(value),
                        str(value),
                        None if suppressed else n,
                        None if suppressed else _percent(n, answered),
                    )
                )
        if question.type in SCALE_TYPES and not suppressed and avg is not None:
            result.mean = round(float(avg), 2)
            result.median = median_of(per_value.get(question.id, []))
        if question.type in TEXT_TYPES and not suppressed:
            result.texts = texts.get(question.id, [])
        results.append(result)
    return Results(
        survey_id=survey.id,
        anonymous=survey.anonymous,
        filters=filters,
        invited=invited,
        reminded=reminded,
        responses=None if whole_suppressed else responses,
        suppressed=whole_suppressed,
        questions=results,
    )


# --- exports ---------------------------------------------------------------------------------

# What each response is broken down by; an anonymous survey's export has these and the
# answers only, nothing naming a person or an organisation.
BREAKDOWN_COLUMNS = ("target_group", "organisation_kind", "country", "event_id")


def export_table(survey: Survey, filters: Filters | None = None) -> tuple[list[str], list[list]]:
    """One row per response under the filters: the breakdown, then a column per question
    (a choice's option codes, a multiple choice's joined with ", "; numbers; texts). A named
    survey adds the organisation's name. An anonymous survey whose filtered responses are
    fewer than MIN_GROUP is refused (TooFewToExport, the rule of the figures). Three statements: the
    questions (2) and responses, and the answers."""
    from participants.models import Organisation

    filters = filters or Filters()
    where = response_filter(survey, filters)
    questions = survey_questions(survey)
    headers = list(BREAKDOWN_COLUMNS) + ([] if survey.anonymous else ["organisation"])
    headers += [q.code for q in questions]
    columns = [SurveyResponse.id, *(getattr(SurveyResponse, c) for c in BREAKDOWN_COLUMNS)]
    query = sa.select(*columns)
    if not survey.anonymous:
        query = query.add_columns(Organisation.name).outerjoin(
            Organisation, Organisation.id == SurveyResponse.organisation_id
        )
    # Ordered by the breakdown and the random id, never by the order of answering.
    rows = db.session.execute(query.where(*where).order_by(*columns[1:], SurveyResponse.id)).all()
    if survey.anonymous and too_few(len(rows)):
        raise TooFewToExport()
    codes = {o.id: o.code for q in questions for o in q.options}
    answers: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    chosen = sa.select(SurveyResponse.id).where(*where).scalar_subquery()
    for response_id, question_id, option_id, number, text in db.session.execute(
        sa.select(
            SurveyAnswer.response_id,
            SurveyAnswer.question_id,
            SurveyAnswer.option_id,
            SurveyAnswer.number,
            SurveyAnswer.text,
        )
        .where(SurveyAnswer.response_id.in_(chosen))
        .order_by(SurveyAnswer.id)
    ):
        if option_id is not None:
            value: Any = codes.get(option_id, "")
        elif number is not None:
            value = int(number) if number == int(number) else float(number)
        else:
            value = text or ""
        answers[response_id][question_id].append(value)
    table = []
    for row in rows:
        cells: list[Any] = ["" if v is None else v for v in row[1:]]
        mine = answers.get(row[0], {})
        for question in questions:
            values = mine.get(question.id, [])
            if question.type == "multiple_choice":
                cells.append(", ".join(str(v) for v in values))
            else:
                cells.append(values[0] if values else "")
        table.append(cells)
    return headers, table


def response_events(survey: Survey) -> list[tuple[int, str]]:
    """The events the survey's responses came from, for the filter: (id, title)."""
    from events.models import Event

    return [
        (event_id, title)
        for event_id, title in db.session.execute(
            sa.select(Event.id, Event.title)
            .where(
                Event.id.in_(
                    sa.select(SurveyResponse.event_id).where(SurveyResponse.survey_id == survey.id)
                )
            )  # fmt: skip
            .order_by(Event.title)
        )
    ]
