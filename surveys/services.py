"""Making and changing surveys, shared by the organiser pages and the JSON API.

create_survey copies a built-in template (surveys/builtin.py) into rows in the survey's own
language, the other two as translations; the editing functions change texts and settings and
keep what answers depend on: a question's type and its options stay once it has answers, and
anonymity stays once anyone has answered. Bad input is a ValidationError naming each field,
before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import Organiser
from events.models import LANGUAGES, TARGET_GROUPS, Event
from events.parsing import moment_error, parse_moment
from events.queries import require_manage
from surveys.access import require_survey
from surveys.builtin import DEFAULTS, OWN_LANGUAGE, TEMPLATES
from surveys.models import (
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


def survey_zone(survey_or_event: Survey | Event | None) -> str:
    """The zone a survey's times are given and shown in: its event's, else the default."""
    event = survey_or_event.event if isinstance(survey_or_event, Survey) else survey_or_event
    return event.timezone if event is not None else current_app.config["DEFAULT_TIMEZONE"]


def _moment(value: Any, field: str, errors: dict[str, Any], zone: str) -> datetime | None:
    """ISO 8601 with an offset, or local time in zone (as an event's times are read); a local
    time the clocks skip there is refused with the message that says so."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) > 40:
        errors[field] = _l("Give a date and time, such as 2027-03-01T09:00.")
        return None
    try:
        moment = parse_moment(value, zone)
    except (ValueError, TypeError, OverflowError) as err:
        errors[field] = moment_error(err)
        return None
    # Far years would overflow when days are added, and mean a typing slip.
    if not 2000 <= moment.year <= 2200:
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
    given_send_at = _moment(data.get("send_at"), "send_at", errors, survey_zone(event))
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


def questions_with_answers(survey: Survey) -> set[int]:
    """The ids of the survey's questions that have answers (their type, code and options are
    locked), in one query."""
    return set(db.session.scalars(
        sa.select(SurveyAnswer.question_id).distinct()
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyQuestion.survey_id == survey.id)
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
    if "send_after_days" in data:
        # An event's survey is sent some days after the event's end, and moves with the event
        # (surveys.invitations follows event_rescheduled); a survey alone has no end to follow.
        if survey.event is None:
            errors["send_after_days"] = _l("Only an event's survey is sent after the event.")
        else:
            days = _int(data, "send_after_days", survey.send_after_days or 0, 0, MAX_DAYS, errors)
            values["send_after_days"] = days
            values["send_at"] = survey.event.ends_at + timedelta(days=days)
    for key in ("send_at", "closes_at"):
        if key in data and not (key == "send_at" and "send_after_days" in data):
            moment = _moment(data[key], key, errors, survey_zone(survey))
            if moment is None and key not in errors:
                errors[key] = _l("Give a date and time, such as 2027-03-01T09:00.")
            values[key] = moment
            if key == "send_at":
                values["send_after_days"] = None  # a moment of its own: no longer follows the event
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
