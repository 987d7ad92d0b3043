"""Answering a survey from the link in an invitation: where the invitation stands, the
questions this person gets, reading and checking the answers of a form, saving a draft and
submitting once.

The once-only rule is SurveyAnswered's primary key: submit inserts it in the same transaction
as the response, so a second submission (a second tab, a double click) fails there and writes
nothing. In an anonymous survey the response keeps no invitation and no organisation, and its
date is a day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from core.db import db, utcnow, write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.i18n import current_language
from core.text import is_bad_text
from participants.kinds import ASKED_KINDS
from participants.models import Registration
from surveys import totals
from surveys.indicators import ORGANISATION_KIND
from surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyAnswered,
    SurveyDraft,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000
# The largest number Numeric(14, 2) holds.
NUMBER_LIMIT = Decimal("999999999999.99")
LIKERT_VALUES = ("1", "2", "3", "4", "5")

# Control characters other than tab and line breaks (long texts keep their paragraphs).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class AlreadyAnswered(Conflict):
    code = "already_answered"

    def __init__(self) -> None:
        super().__init__(_l("This survey has already been answered from this link."))


class SurveyClosed(Conflict):
    code = "closed"

    def __init__(self) -> None:
        super().__init__(_l("This survey has closed."))


def field_name(question: SurveyQuestion) -> str:
    return f"q-{question.id}"


def find_invitation(token: str) -> SurveyInvitation:
    """The invitation holding token; NotFound for an unknown token."""
    invitation = None
    if token and len(token) <= 64 and not is_bad_text(token):
        invitation = db.session.scalar(
            sa.select(SurveyInvitation).where(SurveyInvitation.token == token)
        )
    if invitation is None:
        raise NotFound(_l("This survey link is not valid."))
    return invitation


def is_answered(invitation: SurveyInvitation) -> bool:
    return db.session.get(SurveyAnswered, invitation.id) is not None


def state(invitation: SurveyInvitation, now: datetime | None = None) -> str:
    """ "answered", "closed" (by the organiser, or its closing time has passed) or "open".
    An invitation is open from the moment it exists, whatever send_at says."""
    if is_answered(invitation):
        return "answered"
    survey = invitation.survey
    now = now or utcnow()
    if survey.status == "closed" or (survey.closes_at is not None and survey.closes_at <= now):
        return "closed"
    return "open"


def _registration(invitation: SurveyInvitation) -> Registration | None:
    if invitation.registration_id is None:
        return None
    return db.session.get(Registration, invitation.registration_id)


def questions_for(invitation: SurveyInvitation) -> list[SurveyQuestion]:
    """The questions this person gets, in order: those for everyone and those for their
    target group; the organisation's kind only while it is not known (it is asked once)."""
    registration = _registration(invitation)
    group = registration.target_group if registration else None
    known_kind = bool(registration and registration.organisation.kind)
    chosen = []
    for question in invitation.survey.questions:
        if question.target_groups and group not in question.target_groups:
            continue
        if question.code == ORGANISATION_KIND and known_kind:
            continue
        chosen.append(question)
    return chosen


def sections_for(invitation: SurveyInvitation) -> list[list[SurveyQuestion]]:
    """The person's questions in pages: one per section that has any of them (questions
    before the first section or without one come on the first page)."""
    pages: list[list[SurveyQuestion]] = []
    current: int | None | object = object()
    for question in questions_for(invitation):
        if question.section_id != current or not pages:
            if question.section_id is None and pages:
                pages[-1].append(question)
                continue
            pages.append([])
            current = question.section_id
        pages[-1].append(question)
    return pages or [[]]


@dataclass
class ParsedAnswer:
    question: SurveyQuestion
    option_ids: list[int] = field(default_factory=list)
    number: Decimal | None = None
    text: str | None = None


def format_number(value: Decimal) -> str:
    return format_decimal(value.normalize() if value == value.to_integral() else value,
                          locale=current_language())  # fmt: skip


def parse_number(raw: str) -> Decimal | None:
    """A decimal from "3", "3.5" or "3,5" (the Swedish and Finnish decimal comma), spaces
    between thousands allowed; None when it is not a number."""
    text = re.sub(r"[\s\u00a0\u202f]", "", raw)
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _check_number(question: SurveyQuestion, raw: str) -> tuple[Decimal | None, Any]:
    value = parse_number(raw)
    if value is None:
        return None, _l("Enter a number, for example 3 or 3,5.")
    low, high = question.min_value, question.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return None, _l("Enter a number from %(min)s to %(max)s.",
                            min=format_number(low), max=format_number(high))  # fmt: skip
        if low is not None:
            return None, _l("Enter a number of at least %(min)s.", min=format_number(low))
        return None, _l("Enter a number of at most %(max)s.", max=format_number(high))  # type: ignore[arg-type]
    if abs(value) > NUMBER_LIMIT:
        return None, _l("Enter a number, for example 3 or 3,5.")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), None


def _check_text(raw: str, limit: int, one_line: bool) -> tuple[str | None, Any]:
    text = raw.strip()
    if is_bad_text(text) or (_CONTROL_LINE if one_line else _CONTROL).search(text):
        return None, _l("The text contains characters that cannot be saved. Please remove them.")
    if len(text) > limit:
        return None, _l("At most %(n)s characters.", n=limit)
    return text, None


def parse_answers(questions: list[SurveyQuestion], form: MultiDict[str, str]) -> list[ParsedAnswer]:
    """The answers to `questions` in `form` (fields q-<question id>); ValidationError with a
    translated message per field name when one is wrong or a required one is missing.
    Questions left empty give no answer."""
    errors: dict[str, Any] = {}
    answers: list[ParsedAnswer] = []
    for question in questions:
        name = field_name(question)
        values = [v for v in form.getlist(name) if v.strip()] if name in form else []
        if not values:
            if question.required:
                errors[name] = (
                    _l("Select at least one answer.")
                    if question.type == "multiple_choice"
                    else _l("Select an answer.")
                    if question.type in ("likert5", "single_choice", "yes_no")
                    else _l("Enter an answer.")
                )
            continue
        answer = ParsedAnswer(question)
        if question.type == "multiple_choice":
            options = {o.code: o.id for o in question.options}
            codes = list(dict.fromkeys(v.strip() for v in values))  # a code sent twice counts once
            if any(code not in options for code in codes):
                errors[name] = _l("Select one of the answers given.")
                continue
            answer.option_ids = [options[code] for code in codes]
        elif len(values) > 1:
            errors[name] = _l("Select only one answer.")
            continue
        elif question.type == "likert5":
            if values[0].strip() not in LIKERT_VALUES:
                errors[name] = _l("Select an answer from 1 to 5.")
                continue
            answer.number = Decimal(values[0].strip())
        elif question.type in ("single_choice", "yes_no"):
            options = {o.code: o.id for o in question.options}
            if values[0].strip() not in options:
                errors[name] = _l("Select one of the answers given.")
                continue
            answer.option_ids = [options[values[0].strip()]]
        elif question.type == "number":
            answer.number, error = _check_number(question, values[0])
            if error:
                errors[name] = error
                continue
        else:
            long = question.type == "long_text"
            answer.text, error = _check_text(
                values[0], LONG_TEXT_MAX if long else SHORT_TEXT_MAX, one_line=not long
            )
            if error:
                errors[name] = error
                continue
        answers.append(answer)
    if errors:
        raise ValidationError(errors)
    return answers


# --- drafts ---------------------------------------------------------------------------------


def draft_values(invitation: SurveyInvitation) -> dict[str, list[str]]:
    """The answers saved so far, {"q-12": ["…"]}; empty without a draft."""
    draft = db.session.get(SurveyDraft, invitation.id)
    return dict(draft.answers) if draft else {}


def merge_values(
    saved: dict[str, list[str]], questions: list[SurveyQuestion], form: MultiDict[str, str]
) -> dict[str, list[str]]:
    """The saved answers with those of `questions` replaced by what form holds (a question
    left empty on the page is emptied: the person cleared it). Texts are cut to their
    limits so a draft never grows without bound."""
    values = dict(saved)
    for question in questions:
        name = field_name(question)
        limit = LONG_TEXT_MAX if question.type == "long_text" else SHORT_TEXT_MAX
        given = [v[: limit + 1] for v in form.getlist(name) if v.strip()][:50]
        if given:
            values[name] = given
        else:
            values.pop(name, None)
    return values


def save_draft(
    invitation: SurveyInvitation, form: MultiDict[str, str], questions: list[SurveyQuestion]
) -> dict[str, list[str]]:
    """Keep the answers of `questions` in form with those saved before, to continue later on
    the same link. Bad text is refused (ValidationError), never stored."""
    if state(invitation) != "open":
        raise AlreadyAnswered() if is_answered(invitation) else SurveyClosed()
    values = merge_values(draft_values(invitation), questions, form)
    bad = {k: _l("The text contains characters that cannot be saved. Please remove them.")
           for k, vs in values.items() if any(is_bad_text(v) for v in vs)}  # fmt: skip
    if bad:
        raise ValidationError(bad)
    _store_draft(invitation, values)
    return values


def _store_draft(invitation: SurveyInvitation, values: dict[str, list[str]]) -> None:
    with write_transaction():
        _write_draft(invitation, values)


def _write_draft(invitation: SurveyInvitation, values: dict[str, list[str]]) -> None:
    draft = db.session.get(SurveyDraft, invitation.id)
    if draft is None:
        db.session.add(SurveyDraft(invitation_id=invitation.id, answers=values))
    else:
        draft.answers = values
        draft.saved_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        # Another tab made the draft first: write over it.
        db.session.rollback()
        draft = db.session.get(SurveyDraft, invitation.id)
        if draft is None:
            raise
        draft.answers = values
        db.session.commit()


# --- submitting -----------------------------------------------------------------------------


def submit(
    invitation: SurveyInvitation,
    answers: list[ParsedAnswer],
    language: str | None = None,
    today: date | None = None,
) -> SurveyResponse:
    """Store the response in one transaction: the answered fact (whose primary key lets a
    token answer once: a second submission raises AlreadyAnswered and writes nothing), the
    response with what results are broken down by, its answers; the draft goes. An answer to
    the organisation's kind is kept on the organisation when it has none yet."""
    # BEGIN IMMEDIATE on SQLite: tabs sending at once queue instead of failing to upgrade.
    with write_transaction():
        if state(invitation) == "closed":
            raise SurveyClosed()
        survey: Survey = invitation.survey
        registration = _registration(invitation)
        organisation = registration.organisation if registration else None
        today = today or utcnow().date()
        for answer in answers:
            if answer.question.code == ORGANISATION_KIND and answer.option_ids and organisation:
                code = next(o.code for o in answer.question.options if o.id == answer.option_ids[0])
                if code in ASKED_KINDS and not organisation.kind:
                    organisation.kind = code
        try:
            db.session.add(SurveyAnswered(invitation_id=invitation.id, answered_on=today))
            db.session.flush()  # the once-only rule, before anything else is written
            response = SurveyResponse(
                survey_id=survey.id,
                invitation_id=None if survey.anonymous else invitation.id,
                organisation_id=None
                if survey.anonymous or organisation is None
                else organisation.id,
                event_id=registration.event_id if registration else survey.event_id,
                target_group=registration.target_group if registration else "",
                organisation_kind=organisation.reported_kind if organisation else "unknown",
                country=organisation.country if organisation else "",
                language=(language or invitation.language)[:2],
                submitted_on=today,
            )
            for answer in answers:
                for option_id in answer.option_ids:
                    response.answers.append(
                        SurveyAnswer(question_id=answer.question.id, option_id=option_id)
                    )
                if not answer.option_ids:
                    response.answers.append(
                        SurveyAnswer(
                            question_id=answer.question.id, number=answer.number, text=answer.text
                        )
                    )
            db.session.add(response)
            db.session.flush()
            totals.add_response(
                response,
                {
                    a.question.id: a.number
                    for a in answers
                    if a.number is not None and a.question.type in totals.NUMERIC_TYPES
                },
            )
            db.session.execute(
                sa.delete(SurveyDraft).where(SurveyDraft.invitation_id == invitation.id)
            )
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise AlreadyAnswered() from None
    return response
