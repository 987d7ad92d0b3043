"""A survey's questions, their options and its sections: adding, changing, moving and
removing them, shared by the organiser pages and the JSON API. What answers depend on stays:
a question with answers keeps its type and code and its options, and cannot be removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from core.db import db, write_transaction
from core.errors import ServiceError, ValidationError
from core.models import Organiser
from events.models import TARGET_GROUPS
from surveys.models import (
    CHOICE_TYPES,
    QUESTION_TYPES,
    Survey,
    SurveyOption,
    SurveyQuestion,
    SurveySection,
)
from surveys.services import _bool, _manage, _text, _translations, question_has_answers


def _code(value: Any, field: str, errors: dict[str, Any]) -> str | None:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 60
        or not all(c.isascii() and (c.isalnum() or c == "_") for c in value)
    ):
        errors[field] = _l("Use letters a–z, digits and _ (at most 60).")
        return None
    return value.lower()


def _number(value: Any, field: str, errors: dict[str, Any]) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[field] = _l("Give a number.")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[field] = _l("Give a number.")
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        errors[field] = _l("Give a number.")
        return None
    return number


def _options(value: Any, own: str, errors: dict[str, Any]) -> list[dict[str, Any]] | None:
    """[{code, label, translations}] in order."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 50:
        errors["options"] = _l("Give the options as a list.")
        return None
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            errors["options"] = _l("Give the options as a list.")
            return None
        code = _code(item.get("code"), f"options.{i}.code", errors)
        label = _text(item.get("label"), f"options.{i}.label", errors, 300, required=True)
        if item.get("label") is None:
            errors[f"options.{i}.label"] = _l("This cannot be empty.")
        translations = _translations(item.get("translations"), {"label": 300}, errors, own)
        out.append({"code": code, "label": label, "translations": translations or {}})
    codes = [o["code"] for o in out]
    if len(set(codes)) != len(codes):
        errors["options"] = _l("Each option needs its own code.")
    return out


def _apply_question(survey: Survey, question: SurveyQuestion, data: Mapping[str, Any],
                    *, new: bool) -> None:  # fmt: skip
    errors: dict[str, Any] = {}
    answered = not new and question_has_answers(question)
    values: dict[str, Any] = {}
    if new or "code" in data:
        code = _code(data.get("code"), "code", errors)
        if code and any(q.code == code and q is not question for q in survey.questions):
            errors["code"] = _l("Another question of this survey has this code.")
        if code and answered and code != question.code:
            errors["code"] = _l("The code cannot change once the question has answers.")
        values["code"] = code
    if new or "type" in data:
        kind = data.get("type")
        if kind not in QUESTION_TYPES:
            errors["type"] = _l("Choose a question type.")
        elif answered and kind != question.type:
            errors["type"] = _l("The type cannot change once the question has answers.")
        values["type"] = kind
    if new or "text" in data:
        values["text"] = _text(data.get("text"), "text", errors, 500, required=True)
        if data.get("text") is None:
            errors["text"] = _l("This cannot be empty.")
    if "help" in data:
        values["help"] = _text(data.get("help") or "", "help", errors, 500)
    if "translations" in data:
        values["translations"] = _translations(
            data["translations"], {"text": 500, "help": 500}, errors, survey.language
        )
    if "required" in data:
        values["required"] = _bool(data, "required", question.required, errors)
    if "min" in data:
        values["min_value"] = _number(data["min"], "min", errors)
    if "max" in data:
        values["max_value"] = _number(data["max"], "max", errors)
    if "target_groups" in data:
        groups = data["target_groups"]
        if not isinstance(groups, list) or not all(g in TARGET_GROUPS for g in groups):
            errors["target_groups"] = _l("Choose target groups from the list.")
        else:
            values["target_groups"] = list(dict.fromkeys(groups))
    if "section_id" in data:
        section_id = data["section_id"]
        if section_id not in (None, "") and not any(
            str(s.id) == str(section_id) for s in survey.sections
        ):
            errors["section_id"] = _l("There is no such section.")
        values["section_id"] = int(section_id) if section_id not in (None, "") else None
    options = _options(data.get("options"), survey.language, errors) if "options" in data else None
    kind = values.get("type", question.type)
    low = values.get("min_value", question.min_value)
    high = values.get("max_value", question.max_value)
    if low is not None and high is not None and low > high:
        errors["max"] = _l("The highest value must not be below the lowest.")
    if options is not None and answered:
        kept = {o["code"] for o in options}
        if any(o.code not in kept for o in question.options):
            errors["options"] = _l("Options cannot be removed once the question has answers.")
    if kind in CHOICE_TYPES and not errors:
        count = len(options) if options is not None else len(question.options)
        if count < 2:
            errors["options"] = _l("A choice question needs at least two options.")
    if errors:
        raise ValidationError(errors)
    for key, value in values.items():
        setattr(question, key, value)
    if options is not None:
        # Options keep their rows (and so their answers) by code; the others go.
        by_code = {o.code: o for o in question.options}
        kept = []
        for position, item in enumerate(options):
            option = by_code.pop(item["code"], None) or SurveyOption(code=item["code"])
            option.position = position
            option.label = item["label"]
            option.translations = item["translations"]
            kept.append(option)
        question.options[:] = kept
    if kind not in CHOICE_TYPES and not answered:
        question.options[:] = []


def add_question(organiser: Organiser, survey: Survey, data: Mapping[str, Any]) -> SurveyQuestion:
    """A new question at the end."""
    _manage(organiser, survey)
    with write_transaction():
        question = SurveyQuestion(translations={}, target_groups=[], required=False, help="")
        _apply_question(survey, question, data, new=True)  # checks before anything is added
        question.position = len(survey.questions)
        survey.questions.append(question)
        db.session.commit()
    return question


def update_question(organiser: Organiser, question: SurveyQuestion,
                    data: Mapping[str, Any]) -> SurveyQuestion:  # fmt: skip
    survey = question.survey
    _manage(organiser, survey)
    with write_transaction():
        _apply_question(survey, question, data, new=False)
        db.session.commit()
    return question


def remove_question(organiser: Organiser, question: SurveyQuestion) -> None:
    survey = question.survey
    _manage(organiser, survey)
    if question_has_answers(question):
        raise ServiceError(_l("A question with answers cannot be removed."), status=409,
                           code="conflict")  # fmt: skip
    with write_transaction():
        survey.questions.remove(question)
        _renumber(survey)
        db.session.commit()


def move_question(organiser: Organiser, question: SurveyQuestion, direction: str) -> None:
    """One place up or down in the whole survey."""
    survey = question.survey
    _manage(organiser, survey)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _l("Choose up or down.")})
    with write_transaction():
        order = list(survey.questions)
        i = order.index(question)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
        for position, item in enumerate(order):
            item.position = position
        db.session.commit()
    db.session.expire(survey, ["questions"])


def _renumber(survey: Survey) -> None:
    for position, item in enumerate(sorted(survey.questions, key=lambda q: q.position)):
        item.position = position


def add_section(organiser: Organiser, survey: Survey, data: Mapping[str, Any]) -> SurveySection:
    _manage(organiser, survey)
    errors: dict[str, Any] = {}
    title = _text(data.get("title"), "title", errors, 200, required=True)
    if data.get("title") is None:
        errors["title"] = _l("This cannot be empty.")
    translations = _translations(data.get("translations"), {"title": 200}, errors,
                                 survey.language)  # fmt: skip
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        section = SurveySection(position=len(survey.sections), title=title,
                                translations=translations or {})  # fmt: skip
        survey.sections.append(section)
        db.session.commit()
    return section


def update_section(organiser: Organiser, survey: Survey, section: SurveySection,
                   data: Mapping[str, Any]) -> SurveySection:  # fmt: skip
    _manage(organiser, survey)
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "title" in data:
        values["title"] = _text(data["title"], "title", errors, 200, required=True)
    if "translations" in data:
        values["translations"] = _translations(data["translations"], {"title": 200}, errors,
                                               survey.language)  # fmt: skip
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        for key, value in values.items():
            setattr(section, key, value)
        db.session.commit()
    return section


def remove_section(organiser: Organiser, survey: Survey, section: SurveySection) -> None:
    """The heading goes; its questions stay, under the section before."""
    _manage(organiser, survey)
    with write_transaction():
        survey.sections.remove(section)
        for position, item in enumerate(survey.sections):
            item.position = position
        db.session.commit()


def move_section(organiser: Organiser, survey: Survey, section: SurveySection, direction: str
                 ) -> None:  # fmt: skip
    """One place up or down; its questions go with it, so the questions' order in the whole
    survey follows the sections' (those before the first section stay first)."""
    _manage(organiser, survey)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _l("Choose up or down.")})
    with write_transaction():
        order = list(survey.sections)
        i = order.index(section)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
        for position, item in enumerate(order):
            item.position = position
        rank = {item.id: position for position, item in enumerate(order)}
        keyed, current = [], -1
        for question in sorted(survey.questions, key=lambda q: q.position):
            # A question without a section stays under the one before it.
            current = rank.get(question.section_id, current) if question.section_id else current
            keyed.append(((current, question.position), question))
        for position, (_key, question) in enumerate(sorted(keyed, key=lambda k: k[0])):
            question.position = position
        db.session.commit()
    db.session.expire(survey, ["questions", "sections"])
