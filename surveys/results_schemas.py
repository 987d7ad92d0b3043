"""A survey's results in JSON API v1, declared once: the query (its filters) and the answer.
surveys/results_api.py builds the answer from surveys.results; core/openapi.py documents it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.identifiers import COUNTRIES
from core.schemas import Output, Query, one_of
from events.models import TARGET_GROUPS
from participants.kinds import KINDS
from surveys.models import QUESTION_TYPES

QuestionType = Literal[QUESTION_TYPES]  # type: ignore[valid-type]


class ResultsQuery(Query):
    target_group: one_of(TARGET_GROUPS, "Only responses of this target group.") | None = None  # type: ignore[valid-type]
    event: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Only responses of people invited from this event."
    )
    organisation_kind: one_of(KINDS, "Only responses from this kind of organisation.") | None = None  # type: ignore[valid-type]
    country: one_of(COUNTRIES, "Only responses from this country.") | None = None  # type: ignore[valid-type]


class OptionResult(Output):
    code: str = Field(description="The option's code; for a likert5 question the value 1…5.")
    label: str
    count: int | None = Field(description="null when suppressed (fewer than 5).")
    percent: float | None = Field(
        description="Of those who answered the question (a multiple choice adds up to more "
        "than 100); null when suppressed."
    )


class QuestionResult(Output):
    id: int
    code: str
    type: QuestionType
    text: str
    answered: int | None = Field(description="How many answered it; null when suppressed.")
    suppressed: bool = Field(
        description="An anonymous survey's figures behind fewer than 5 responses are not shown."
    )
    options: list[OptionResult]
    mean: float | None = Field(description="likert5 and number questions.")
    median: float | None = Field(description="likert5 and number questions.")
    texts: list[str] = Field(description="The free texts of a text question, in text order.")


class SurveyResults(Output):
    survey_id: int
    anonymous: bool
    invited: int = Field(description="Invitations made.")
    reminded: int = Field(description="Invitations reminded at least once.")
    responses: int | None = Field(
        description="Responses under the filters; null when suppressed (fewer than 5, anonymous)."
    )
    suppressed: bool = Field(description="The filtered responses are fewer than 5 (anonymous).")
    questions: list[QuestionResult]
