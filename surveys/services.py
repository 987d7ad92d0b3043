"""Making and changing surveys, shared by the organiser pages and the JSON API.

create_survey copies a built-in template (surveys/builtin.py) into rows in the survey's own
language, the other two as translations; the editing functions change texts and settings and
keep what answers depend on: a question's type and its options stay once it has answers, and
anonymity stays once anyone has answered. Bad input is a ValidationError naming each field,
before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db, utcnow, write_transaction
from core.errors import ServiceError, ValidationError
from core.models import Organiser
from events.models import LANGUAGES, TARGET_GROUPS, Event
from events.queries import require_manage
from surveys.access import require_survey
from surveys.builtin import DEFAULTS, OWN_LANGUAGE, TEMPLATES
from surveys.models import (
    CHOICE_TYPES,
    QUESTION_TYPES,
    Survey,
    SurveyAnswer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
)

MAX_REMINDERS = 5
MAX_EVERY_DAYS = 60
MAX_DAYS = 730
DEFAULT_OPEN_DAYS = 30


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(data: Mapping[str, Any], key: str, default: int, low: int, high: int,
         errors: dict[str, Any], field: str | None = None) -> int:  # fmt: skip
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 10:
        value = int(value)
    if not _is_int(value) or not low <= value <= high:
        errors[field or key] = _l("Give a whole number from %(low)s to %(high)s.", low=low,
                                  high=high)  # fmt: skip
        return default
    return value


def _moment(value: Any, field: str, errors: dict[str, Any]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            errors[field] = _l("Give a date and time, such as 2027-03-01T09:00.")
            return None
    else:
        errors[field] = _l("Give a date and time, such as 2027-03-01T09:00.")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None
    # Far years would overflow when days are added, and mean a typing slip.
    if moment is None or not 2000 <= moment.year <= 2200:
        errors[field] = _l("Give a date and time, such as 2027-03-01T09:00.")
        return None
    return moment


def _bool(data: Mapping[str, Any], key: str, default: bool, errors: dict[str, Any]) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no", ""):
        return False
    errors[key] = _l("Must be true or false.")
    return default


def _audience(value: Any, errors: dict[str, Any]) -> tuple[str, list[str]]:
    if value is None or value == "":
        return "attendees", []
    if value in ("attendees", "registrants"):
        return value, []
    if (
        isinstance(value, list)
        and value
        and all(isinstance(g, str) and g in TARGET_GROUPS for g in value)
    ):
        return "groups", list(dict.fromkeys(value))
    errors["audience"] = _l("Choose attendees, registrants or one or more target groups.")
    return "attendees", []


def _event(organiser: Organiser, slug: Any, errors: dict[str, Any]) -> Event | None:
    if slug is None or slug == "":
        return None
    if not isinstance(slug, str) or len(slug) > 120:
        errors["event"] = _l("There is no such event.")
        return None
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        errors["event"] = _l("There is no such event.")
        return None
    require_manage(organiser, event)  # 403: not an organiser of it
    return event


def _language(value: Any, errors: dict[str, Any]) -> str:
    if value is None or value == "":
        return OWN_LANGUAGE
    if value not in LANGUAGES:
        errors["language"] = _l("Choose Swedish, English or Finnish.")
        return OWN_LANGUAGE
    return value


def _split(texts: Mapping[str, str], field: str, own: str) -> tuple[str, dict[str, dict[str, str]]]:
    """A template text in three languages: the survey's own, and translations of the others."""
    return texts[own], {lang: {field: texts[lang]} for lang in LANGUAGES if lang != own}


def _merge(*parts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for part in parts:
        for lang, fields in part.items():
            out.setdefault(lang, {}).update(fields)
    return out


def create_survey(organiser: Organiser, data: Mapping[str, Any]) -> Survey:
    """A survey copied from a built-in template, scheduled (or a draft when data["status"] is
    "draft")."""
    if not isinstance(data, Mapping):
        raise ValidationError({"template": _l("Choose a template.")})
    errors: dict[str, Any] = {}
    template = data.get("template")
    if not isinstance(template, str) or template not in TEMPLATES:
        errors["template"] = _l("Choose a template: feedback or adoption follow-up.")
        template = "feedback"
    defaults = DEFAULTS[template]
    event = _event(organiser, data.get("event"), errors)
    audience, groups = _audience(data.get("audience"), errors)
    anonymous = _bool(data, "anonymous", defaults["anonymous"], errors)
    days = _int(data, "send_after_days", defaults["send_after_days"], 0, MAX_DAYS, errors)
    reminders = data.get("reminders") or {}
    if not isinstance(reminders, Mapping):
        errors["reminders"] = _l("Give the reminders as max and every_days.")
        reminders = {}
    reminder_max = _int(reminders, "max", 2, 0, MAX_REMINDERS, errors, "reminders.max")
    every = _int(reminders, "every_days", 7, 1, MAX_EVERY_DAYS, errors, "reminders.every_days")
    open_days = _int(data, "open_days", DEFAULT_OPEN_DAYS, 1, MAX_DAYS, errors)
    language = _language(data.get("language"), errors)
    given_send_at = _moment(data.get("send_at"), "send_at", errors)
    status = data.get("status") or "scheduled"
    if status not in ("draft", "scheduled"):
        errors["status"] = _l("Choose draft or scheduled.")
    if errors:
        raise ValidationError(errors)
    if event is not None:
        send_at = event.ends_at + timedelta(days=days)
        send_after: int | None = days
    else:
        send_at = given_send_at or utcnow()
        send_after = None
    spec = TEMPLATES[template]
    title, title_tr = _split(spec["title"], "title", language)
    intro, intro_tr = _split(spec["introduction"], "introduction", language)
    with write_transaction():
        survey = Survey(
            event=event,
            template=template,
            language=language,
            title=title,
            introduction=intro,
            translations=_merge(title_tr, intro_tr),
            audience=audience,
            target_groups=groups,
            anonymous=anonymous,
            status=status,
            send_after_days=send_after,
            send_at=send_at,
            closes_at=send_at + timedelta(days=open_days),
            reminder_max=reminder_max,
            reminder_every_days=every,
            created_by=organiser,
        )
        position = 0
        for s_pos, section_spec in enumerate(spec["sections"]):
            s_title, s_tr = _split(section_spec["title"], "title", language)
            section = SurveySection(position=s_pos, title=s_title, translations=s_tr)
            survey.sections.append(section)
            for q in section_spec["questions"]:
                text, text_tr = _split(q["text"], "text", language)
                question = SurveyQuestion(
                    position=position, code=q["code"], type=q["type"], required=q["required"],
                    text=text, translations=text_tr, section=section,
                    min_value=q["min"], max_value=q["max"],
                    target_groups=list(q["target_groups"]),
                )  # fmt: skip
                for o_pos, option in enumerate(q["options"]):
                    label, label_tr = _split(option["label"], "label", language)
                    question.options.append(
                        SurveyOption(
                            position=o_pos, code=option["code"], label=label, translations=label_tr
                        )  # fmt: skip
                    )
                survey.questions.append(question)
                position += 1
        db.session.add(survey)
        db.session.commit()
    return survey


# --- what answers depend on -------------------------------------------------------------------


def has_responses(survey: Survey) -> bool:
    return bool(db.session.scalar(
        sa.select(sa.exists().where(SurveyResponse.survey_id == survey.id))
    ))  # fmt: skip


def question_has_answers(question: SurveyQuestion) -> bool:
    return bool(db.session.scalar(
        sa.select(sa.exists().where(SurveyAnswer.question_id == question.id))
    ))  # fmt: skip


def _manage(organiser: Organiser, survey: Survey) -> None:
    require_survey(organiser, survey.id)  # NotFound for a survey not theirs


def _text(value: Any, field: str, errors: dict[str, Any], limit: int, *,
          required: bool = False) -> str | None:  # fmt: skip
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors[field] = _l("Write at most %(n)s characters.", n=limit)
        return None
    value = value.strip()
    if required and not value:
        errors[field] = _l("This cannot be empty.")
        return None
    return value


def _translations(value: Any, fields: dict[str, int], errors: dict[str, Any],
                  own: str) -> dict[str, dict[str, str]] | None:  # fmt: skip
    """{"en": {"title": "…"}, …}: the other languages' texts; an empty text is removed."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors["translations"] = _l("Give the translations by language.")
        return None
    out: dict[str, dict[str, str]] = {}
    for lang, texts in value.items():
        if lang not in LANGUAGES or lang == own or not isinstance(texts, Mapping):
            errors["translations"] = _l("Give the translations by language.")
            return None
        for name, text in texts.items():
            if name not in fields:
                continue
            checked = _text(text, f"translations.{lang}.{name}", errors, fields[name])
            if checked:
                out.setdefault(lang, {})[name] = checked
    return out


def update_survey(organiser: Organiser, survey: Survey, data: Mapping[str, Any]) -> Survey:
    """Change the texts and settings given; the others stay."""
    _manage(organiser, survey)
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "title" in data:
        values["title"] = _text(data["title"], "title", errors, 200, required=True)
    if "introduction" in data:
        values["introduction"] = _text(data["introduction"] or "", "introduction", errors, 5000)
    if "translations" in data:
        values["translations"] = _translations(
            data["translations"], {"title": 200, "introduction": 5000}, errors, survey.language
        )
    if "audience" in data:
        values["audience"], values["target_groups"] = _audience(data["audience"], errors)
    if "anonymous" in data:
        anonymous = _bool(data, "anonymous", survey.anonymous, errors)
        if anonymous != survey.anonymous and has_responses(survey):
            errors["anonymous"] = _l("Anonymity cannot change once someone has answered.")
        values["anonymous"] = anonymous
    for key in ("send_at", "closes_at"):
        if key in data:
            moment = _moment(data[key], key, errors)
            if moment is None and key not in errors:
                errors[key] = _l("Give a date and time, such as 2027-03-01T09:00.")
            values[key] = moment
    if "reminders" in data:
        reminders = data["reminders"]
        if not isinstance(reminders, Mapping):
            errors["reminders"] = _l("Give the reminders as max and every_days.")
        else:
            values["reminder_max"] = _int(reminders, "max", survey.reminder_max, 0,
                                          MAX_REMINDERS, errors, "reminders.max")  # fmt: skip
            values["reminder_every_days"] = _int(
                reminders, "every_days", survey.reminder_every_days, 1, MAX_EVERY_DAYS, errors,
                "reminders.every_days",
            )  # fmt: skip
    send_at = values.get("send_at", survey.send_at)
    closes_at = values.get("closes_at", survey.closes_at)
    if not errors and send_at and closes_at and closes_at <= send_at:
        errors["closes_at"] = _l("The survey must close after it is sent.")
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        for key, value in values.items():
            setattr(survey, key, value)
        db.session.commit()
    return survey


def close_survey(organiser: Organiser, survey: Survey) -> Survey:
    _manage(organiser, survey)
    with write_transaction():
        survey.status = "closed"
        if survey.closes_at is None or survey.closes_at > utcnow():
            survey.closes_at = utcnow()
        db.session.commit()
    return survey


# --- questions and sections -------------------------------------------------------------------


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


def question_of(organiser: Organiser, survey_id: int, question_id: int) -> SurveyQuestion:
    survey = require_survey(organiser, survey_id)
    for question in survey.questions:
        if question.id == question_id:
            return question
    raise ServiceError(_l("There is no such question."), status=404, code="not_found")


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
