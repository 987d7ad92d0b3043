"""The organisers' survey forms: a survey's settings, a question (its type, code, texts in three
languages, range and options) and a section. They only render fields and carry the CSRF
token; the rules are surveys.services' and surveys.questions', whose ValidationError names each
field: `place_errors` puts those messages back beside the fields they are about.

A text is given in each language: the survey's own is the text, the others its translations
(left empty, the survey's own language is shown in their place).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from events.labels import TARGET_GROUP_LABELS
from events.models import LANGUAGES
from surveys.models import CHOICE_TYPES

LANGUAGE_LABELS = {"sv": _l("Swedish"), "en": _l("English"), "fi": _l("Finnish")}
TYPE_LABELS = {
    "likert5": _l("Scale 1–5"),
    "single_choice": _l("One choice"),
    "multiple_choice": _l("Several choices"),
    "yes_no": _l("Yes or no"),
    "number": _l("Number"),
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
}
AUDIENCE_CHOICES = [
    ("attendees", _l("Everyone who came")),
    ("registrants", _l("Everyone registered")),
    ("groups", _l("Only some target groups")),
]
BLANK_OPTIONS = 2  # empty option rows under the filled ones, for adding options


def languages_for(own: str) -> list[str]:
    """The survey's own language first, then the others."""
    return [own] + [lang for lang in LANGUAGES if lang != own]


def _label(form: Any, name: str, text: Any, lang: str, own: str) -> None:
    mark = _("the survey's language") if lang == own else _("optional")
    form[f"{name}_{lang}"].label.text = f"{text} ({LANGUAGE_LABELS[lang]}, {mark})"


Texts = tuple[dict[str, str], dict[str, dict[str, str]]]


def _texts(form: Any, names: tuple[str, ...], own: str) -> Texts:
    """The own language's texts and the translations from the fields <name>_<lang>."""
    texts = {name: form[f"{name}_{own}"].data or "" for name in names}
    translations = {
        lang: {name: form[f"{name}_{lang}"].data or "" for name in names}
        for lang in LANGUAGES
        if lang != own
    }
    return texts, translations


def _number_text(value: str | None) -> str | None:
    """ "3,5" or "1 000" as the service reads numbers ("3.5", "1000")."""
    if value is None:
        return None
    text = "".join(value.split()).replace("\u00a0", "")
    return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text


def place_errors(form: Any, fields: Mapping[str, Any], target: Any) -> tuple[list[str], list]:
    """Attach the service's messages to the fields `target(key)` names (a field object or
    None); return the messages that fit no field and, for fields below the form's top level
    (an option's code), the (id, label, message) entries of the error summary."""
    general: list[str] = []
    extra: list[tuple[str, str, str]] = []
    for key, message in fields.items():
        found = target(key)
        if found is None:
            general.append(str(message))
            continue
        if isinstance(found, tuple):  # (id, label) of a part of the page, not a field
            extra.append((*found, str(message)))
            continue
        found.errors = [*found.errors, str(message)]
        if found.name not in form._fields:
            label = getattr(found, "summary_label", found.label.text)
            extra.append((found.id, label, str(message)))
    return general, extra


# --- a survey's settings ------------------------------------------------------------------


def _local_text(moment: datetime | None, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if moment else ""


class SettingsForm(FlaskForm):
    title_sv = StringField()
    title_en = StringField()
    title_fi = StringField()
    introduction_sv = TextAreaField()
    introduction_en = TextAreaField()
    introduction_fi = TextAreaField()
    audience = RadioField(_l("Send to"), choices=AUDIENCE_CHOICES, validate_choice=False)
    target_groups = SelectMultipleField(_l("Target groups"), validate_choice=False,
                                        choices=list(TARGET_GROUP_LABELS.items()))  # fmt: skip
    anonymous = RadioField(_l("Anonymous answers"), validate_choice=False,
                           choices=[("yes", _l("Anonymous")), ("no", _l("Named"))])  # fmt: skip
    send_after_days = StringField(_l("Days after the event's end"))
    send_at = StringField(_l("Sent at"))
    closes_at = StringField(_l("Closes at"))
    reminder_max = StringField(_l("Reminders at most"))
    reminder_every_days = StringField(_l("Days between reminders"))

    def __init__(self, own: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        for lang in LANGUAGES:
            _label(self, "title", _("Title"), lang, own)
            _label(self, "introduction", _("Introduction"), lang, own)

    @classmethod
    def initial(cls, survey: Any, zone: str) -> dict[str, Any]:
        """The form as the survey stands, its times on the clock of zone."""
        data: dict[str, Any] = {
            f"title_{survey.language}": survey.title,
            f"introduction_{survey.language}": survey.introduction,
            "audience": survey.audience,
            "target_groups": list(survey.target_groups or []),
            "anonymous": "yes" if survey.anonymous else "no",
            "send_after_days": ""
            if survey.send_after_days is None
            else str(survey.send_after_days),
            "send_at": _local_text(survey.send_at, zone),
            "closes_at": _local_text(survey.closes_at, zone),
            "reminder_max": str(survey.reminder_max),
            "reminder_every_days": str(survey.reminder_every_days),
        }
        for lang, texts in (survey.translations or {}).items():
            for name in ("title", "introduction"):
                data[f"{name}_{lang}"] = texts.get(name, "")
        return data

    def as_service_data(self, survey: Any, answered: bool) -> dict[str, Any]:
        texts, translations = _texts(self, ("title", "introduction"), self.own)
        audience: Any = self.audience.data
        if audience == "groups":
            audience = list(self.target_groups.data or [])
        data: dict[str, Any] = {
            **texts,
            "translations": translations,
            "audience": audience,
            "reminders": {"max": self.reminder_max.data,
                          "every_days": self.reminder_every_days.data},
        }  # fmt: skip
        if not answered and self.anonymous.data in ("yes", "no"):
            data["anonymous"] = self.anonymous.data == "yes"
        if survey.event is not None:
            if (self.send_after_days.data or "").strip():
                data["send_after_days"] = self.send_after_days.data.strip()
        elif (self.send_at.data or "").strip():
            data["send_at"] = self.send_at.data.strip()
        if (self.closes_at.data or "").strip():
            data["closes_at"] = self.closes_at.data.strip()
        return data

    def target(self, key: str) -> Any:
        """The field a service error of `key` is about."""
        names = {
            "title": f"title_{self.own}",
            "introduction": f"introduction_{self.own}",
            "reminders.max": "reminder_max",
            "reminders.every_days": "reminder_every_days",
            "reminders": "reminder_max",
            "audience": "target_groups" if self.audience.data == "groups" else "audience",
        }
        name = names.get(key, key)
        if key.startswith("translations."):
            parts = key.split(".")
            name = f"{parts[2]}_{parts[1]}" if len(parts) == 3 else f"title_{self.own}"
        return self[name] if name in self._fields and name != "csrf_token" else None


# --- a question -----------------------------------------------------------------------------


class OptionForm(Form):
    """One option's row: its code and its label in each language."""

    code = StringField(_l("Code"))
    label_sv = StringField()
    label_en = StringField()
    label_fi = StringField()


class QuestionForm(FlaskForm):
    type = SelectField(_l("Type"), choices=list(TYPE_LABELS.items()), validate_choice=False)
    code = StringField(_l("Code"))
    text_sv = StringField()
    text_en = StringField()
    text_fi = StringField()
    help_sv = StringField()
    help_en = StringField()
    help_fi = StringField()
    required = BooleanField(_l("An answer is required"))
    section = SelectField(_l("Section"), choices=[], validate_choice=False)
    min = StringField(_l("Lowest value"))
    max = StringField(_l("Highest value"))
    options = FieldList(FormField(OptionForm), min_entries=0, max_entries=50)

    def __init__(self, own: str, sections: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        self.section.choices = [("", _("No section"))] + [(str(s.id), s.title) for s in sections]
        for lang in LANGUAGES:
            _label(self, "text", _("Question"), lang, own)
            _label(self, "help", _("Help text"), lang, own)
        self.label_options()

    def label_options(self) -> None:
        for number, entry in enumerate(self.options, 1):
            option = _("Option %(n)s", n=number)
            entry["code"].summary_label = f"{option}, {entry['code'].label.text}"
            for lang in LANGUAGES:
                mark = _("the survey's language") if lang == self.own else _("optional")
                label = entry[f"label_{lang}"]
                label.label.text = f"{LANGUAGE_LABELS[lang]} ({mark})"
                label.summary_label = f"{option}, {label.label.text}"

    def add_blank_options(self) -> None:
        for _i in range(BLANK_OPTIONS):
            self.options.append_entry()
        self.label_options()

    @classmethod
    def initial(cls, question: Any) -> dict[str, Any]:
        own = question.survey.language
        data: dict[str, Any] = {
            "type": question.type,
            "code": question.code,
            f"text_{own}": question.text,
            f"help_{own}": question.help or "",
            "required": question.required,
            "section": str(question.section_id or ""),
            "min": "" if question.min_value is None else _plain(question.min_value),
            "max": "" if question.max_value is None else _plain(question.max_value),
            "options": [],
        }
        for lang, texts in (question.translations or {}).items():
            data[f"text_{lang}"] = texts.get("text", "")
            data[f"help_{lang}"] = texts.get("help", "")
        for option in question.options:
            row = {"code": option.code, f"label_{own}": option.label}
            for lang, texts in (option.translations or {}).items():
                row[f"label_{lang}"] = texts.get("label", "")
            data["options"].append(row)
        return data

    def as_service_data(self, answered: bool) -> dict[str, Any]:
        texts, translations = _texts(self, ("text", "help"), self.own)
        kind = self.type.data
        data: dict[str, Any] = {
            **texts,
            "translations": translations,
            "required": bool(self.required.data),
            "section_id": self.section.data or None,
        }
        if not answered:
            data["type"] = kind
            data["code"] = (self.code.data or "").strip()
        number = kind == "number"
        data["min"] = _number_text(self.min.data) if number else None
        data["max"] = _number_text(self.max.data) if number else None
        self.option_rows: list[int] = []  # the service's option i is the form's row option_rows[i]
        if kind in CHOICE_TYPES:
            options = []
            for row, entry in enumerate(self.options):
                values = {name: (entry[name].data or "").strip() for name in entry._fields}
                if not any(values.values()):
                    continue  # an empty row
                self.option_rows.append(row)
                options.append({
                    "code": values["code"],
                    "label": values[f"label_{self.own}"],
                    "translations": {lang: {"label": values[f"label_{lang}"]}
                                     for lang in LANGUAGES if lang != self.own},
                })  # fmt: skip
            data["options"] = options
        return data

    def target(self, key: str) -> Any:
        names = {"text": f"text_{self.own}", "help": f"help_{self.own}", "section_id": "section"}
        parts = key.split(".")
        if parts[0] == "options" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            rows = getattr(self, "option_rows", [])
            if index < len(rows):
                entry = self.options[rows[index]]
                return entry["code"] if parts[2] == "code" else entry[f"label_{self.own}"]
            return None
        if parts[0] == "translations" and len(parts) == 3 and parts[2] in ("text", "help"):
            return self[f"{parts[2]}_{parts[1]}"]
        if parts[0] in ("options", "translations"):  # about the options as a whole
            return ("options", _("Options"))
        name = names.get(key, key)
        if name in self._fields and name not in ("csrf_token", "options"):
            return self[name]
        return None


def _plain(value: Any) -> str:
    """A stored number as it is typed: 10 (not 10.00), 2.5."""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


# --- a section ------------------------------------------------------------------------------


class SectionForm(FlaskForm):
    title_sv = StringField()
    title_en = StringField()
    title_fi = StringField()

    def __init__(self, own: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        for lang in LANGUAGES:
            _label(self, "title", _("Heading"), lang, own)

    @classmethod
    def initial(cls, section: Any, own: str) -> dict[str, Any]:
        data = {f"title_{own}": section.title}
        for lang, texts in (section.translations or {}).items():
            data[f"title_{lang}"] = texts.get("title", "")
        return data

    def as_service_data(self) -> dict[str, Any]:
        texts, translations = _texts(self, ("title",), self.own)
        return {**texts, "translations": translations}

    def target(self, key: str) -> Any:
        if key == "title":
            return self[f"title_{self.own}"]
        parts = key.split(".")
        if parts[0] == "translations" and len(parts) == 3:
            return self[f"title_{parts[1]}"]
        return None
