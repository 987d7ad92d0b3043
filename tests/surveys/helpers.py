"""Shared by the survey tests: a survey built straight from rows, and people who came."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.db import db, utcnow
from events.models import Event
from participants.services import register
from surveys.models import Survey, SurveyOption, SurveyQuestion, SurveySection
from tests.participants.helpers import as_stored, person

# (code, type, required, options or (min, max) for numbers)
QUESTIONS: list[tuple[str, str, bool, Any]] = [
    ("useful", "likert5", True, None),
    ("used_employment_requirements", "single_choice", True, ["yes", "planned", "no"]),
    ("readiness", "multiple_choice", False, ["decision", "matchmaker", "regional_network"]),
    ("would_recommend", "yes_no", False, ["yes", "no"]),
    ("procurements_advanced", "number", False, (0, 1000)),
    ("role_text", "short_text", False, None),
    ("comments", "long_text", False, None),
]


def build_survey(event: Event | None, questions: list[tuple[str, str, bool, Any]] | None = None,
                 **fields: Any) -> Survey:  # fmt: skip
    """A scheduled survey with one section holding the questions (QUESTIONS by default), with
    Finnish and English texts beside the Swedish ones."""
    values: dict[str, Any] = {
        "event": event,
        "language": "sv",
        "title": "Vad tyckte du?",
        "introduction": "Tre minuter.",
        "translations": {"fi": {"title": "Mitä pidit?"}, "en": {"title": "What did you think?"}},
        "audience": "attendees",
        "anonymous": True,
        "status": "scheduled",
        "send_at": event.ends_at + timedelta(days=1) if event else utcnow(),
        "closes_at": (event.ends_at if event else utcnow()) + timedelta(days=60),
        "reminder_max": 2,
        "reminder_every_days": 7,
    }
    values.update(fields)
    survey = Survey(**values)
    section = SurveySection(
        position=0, title="Frågor", translations={"fi": {"title": "Kysymykset"}}
    )
    survey.sections.append(section)
    for position, (code, kind, required, extra) in enumerate(questions or QUESTIONS):
        question = SurveyQuestion(
            position=position, code=code, type=kind, required=required, section=section,
            text=f"Fråga {code}", translations={"fi": {"text": f"Kysymys {code}"},
                                               "en": {"text": f"Question {code}"}},
        )  # fmt: skip
        if kind == "number" and extra:
            question.min_value, question.max_value = extra
        for i, option in enumerate(extra if kind in ("single_choice", "multiple_choice",
                                                     "yes_no") else []):  # fmt: skip
            question.options.append(
                SurveyOption(position=i, code=option, label=f"Val {option}",
                             translations={"fi": {"label": f"Vaihtoehto {option}"}})
            )  # fmt: skip
        survey.questions.append(question)
    db.session.add(survey)
    db.session.commit()
    return survey


def attendees(event: Event, n: int, came: int | None = None, **overrides: Any) -> list[Any]:
    """n confirmed registrations of the event; the first `came` (all by default) checked in."""
    people = []
    for i in range(n):
        reg = as_stored(register(event, person(f"{event.id}-{i}", **overrides)))
        if came is None or i < came:
            reg.attended_at = event.starts_at
        people.append(reg)
    db.session.commit()
    return people
