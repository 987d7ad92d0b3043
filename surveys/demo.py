"""The demo's surveys (flask demo-data): for each event that has ended with people checked
in, a feedback survey and an adoption follow-up, sent and partly answered through the same
services people use, so the results and the impact report show something. Listens to
participants' `demo_registrations_created`."""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from core.db import db, utcnow
from events.models import Event
from participants.demo import demo_registrations_created
from surveys.answering import parse_answers, questions_for, submit
from surveys.invitations import send_due_invitations
from surveys.models import SurveyInvitation, SurveyQuestion
from surveys.services import create_survey


def _answer(question: SurveyQuestion, rng: random.Random) -> list[str]:
    if question.type == "likert5":
        return [str(rng.choice((2, 3, 4, 4, 5, 5)))]
    if question.type in ("single_choice", "yes_no"):
        codes = [o.code for o in question.options]
        if question.code == "used_employment_requirements":
            return [rng.choice(("yes", "yes", "planned", "planned", "no"))]
        return [rng.choice(codes)]
    if question.type == "multiple_choice":
        codes = [o.code for o in question.options]
        return rng.sample(codes, rng.randint(1, min(2, len(codes))))
    if question.type == "number":
        return [str(rng.randint(0, 4))]
    if question.type == "long_text" and rng.random() < 0.3:
        return [rng.choice(("Bra exempel från Botkyrka.", "Mer om uppföljning, tack.",
                            "Hyödyllinen päivä.", "Useful model clauses."))]  # fmt: skip
    return []


def _answer_some(invitations: list[SurveyInvitation], share: float, rng: random.Random) -> None:
    for invitation in invitations:
        if rng.random() > share:
            continue
        questions = questions_for(invitation)
        form = MultiDict([(f"q-{q.id}", value) for q in questions for value in _answer(q, rng)])
        submit(invitation, parse_answers(questions, form))


def add_demo_surveys(events: list[Event], seed: int = 10) -> int:
    rng = random.Random(seed)
    now = utcnow()
    made = 0
    for event in events:
        owner = event.created_by
        if owner is None or event.ends_at > now or event.status != "published":
            continue
        for template, days in (("feedback", 1), ("adoption_followup", 30)):
            survey = create_survey(owner, {"template": template, "event": event.slug,
                                           "send_after_days": days, "open_days": 120})  # fmt: skip
            if survey.send_at and survey.send_at <= now:
                send_due_invitations(now=now)
                _answer_some(list(survey_invitations(survey.id)), 0.6, rng)
            made += 1
    return made


def survey_invitations(survey_id: int) -> Any:
    return db.session.scalars(
        sa.select(SurveyInvitation).where(SurveyInvitation.survey_id == survey_id)
    )


@demo_registrations_created.connect
def _on_demo_events(_sender: Any, events: list[Event], **_extra: Any) -> None:
    add_demo_surveys(events)
