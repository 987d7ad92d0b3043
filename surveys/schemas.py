"""The surveys' part of JSON API v1, declared once: what it takes and answers. As elsewhere,
the inputs check JSON types only; surveys.services checks the rules and names each field."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from core.schemas import Input, Output, doc
from events.models import LANGUAGES, TARGET_GROUPS
from surveys.models import AUDIENCES, QUESTION_TYPES, STATUSES, TEMPLATES

# --- requests --------------------------------------------------------------------------------


class RemindersInput(Input):
    max: StrictInt | None = doc(default=None, minimum=0, maximum=5,
                                description="Reminders at most (2 when left out).")  # fmt: skip
    every_days: StrictInt | None = doc(default=None, minimum=1, maximum=60,
                                       description="Days between reminders (7).")  # fmt: skip


class SurveyCreate(Input):
    """POST: a survey copied from a built-in template, scheduled to be sent."""

    template: StrictStr = doc(enum=list(TEMPLATES))
    event: StrictStr | None = doc(
        default=None, maxLength=120,
        description="The slug of an event you organise; null: a survey that stands alone.",
    )  # fmt: skip
    audience: StrictStr | list[StrictStr] | None = doc(
        default=None,
        description='"attendees" (default), "registrants", or a list of target group codes '
        f"({', '.join(TARGET_GROUPS)}).",
    )
    anonymous: StrictBool | None = doc(
        default=None, description="Default true for feedback, false for adoption_followup."
    )
    send_after_days: StrictInt | None = doc(
        default=None, minimum=0, maximum=730,
        description="Days after the event's end (1 for feedback, 90 for the follow-up).",
    )  # fmt: skip
    send_at: StrictStr | None = doc(
        default=None, maxLength=40,
        description="For a survey without an event: when to send, ISO 8601 with an offset or "
        "local time in Europe/Stockholm (a time the clocks skip there is refused); now by "
        "default.",
    )  # fmt: skip
    open_days: StrictInt | None = doc(default=None, minimum=1, maximum=730,
                                      description="Days the link stays open (30).")  # fmt: skip
    language: StrictStr | None = doc(default=None, enum=list(LANGUAGES),
                                     description="The survey's own language (sv).")  # fmt: skip
    status: StrictStr | None = doc(default=None, enum=["draft", "scheduled"])
    reminders: RemindersInput | None = doc(default=None)


# --- answers ---------------------------------------------------------------------------------


class Created(Output):
    id: int


class Option(Output):
    code: str
    label: str


class Question(Output):
    id: int
    code: str = Field(description="Stable across surveys of one template.")
    type: Literal[QUESTION_TYPES]  # type: ignore[valid-type]
    required: bool
    text: str = Field(description="In the request's language, else the survey's own.")
    section: int | None = Field(description="The id of its section.")
    target_groups: list[str] = Field(description="Asked only of these; [] everyone.")
    options: list[Option]
    min: float | None
    max: float | None


class Section(Output):
    id: int
    title: str


class Reminders(Output):
    max: int
    every_days: int


class Survey(Output):
    id: int
    template: str | None
    event: str | None = Field(description="The event's slug; null for a survey alone.")
    language: Literal[LANGUAGES]  # type: ignore[valid-type]
    title: str
    introduction: str
    audience: Literal[AUDIENCES]  # type: ignore[valid-type]
    target_groups: list[str]
    anonymous: bool
    status: Literal[STATUSES]  # type: ignore[valid-type]
    send_after_days: int | None
    send_at: datetime | None
    closes_at: datetime | None
    reminders: Reminders
    sections: list[Section]
    questions: list[Question]
