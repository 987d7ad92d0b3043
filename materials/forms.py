"""The organisers' material form: fields and CSRF only; the rules are materials.services'."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget, URLInput

from core.pages import MarkRequired
from events.labels import LANGUAGE_LABELS, TARGET_GROUP_LABELS
from materials.labels import AUDIENCE_LABELS, CATEGORY_LABELS


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:  # the service checks the values
        return None


def _pairs(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return list(labels.items())


class MaterialForm(FlaskForm):
    title = StringField(_l("Title"), validators=[MarkRequired()])
    description = TextAreaField(_l("Description"))
    language = SelectField(
        _l("Language of the title and description"), choices=_pairs(LANGUAGE_LABELS)
    )
    title_en = StringField(_l("Title in English"))
    description_en = TextAreaField(_l("Description in English"))
    title_fi = StringField(_l("Title in Finnish"))
    description_fi = TextAreaField(_l("Description in Finnish"))
    title_sv = StringField(_l("Title in Swedish"))
    description_sv = TextAreaField(_l("Description in Swedish"))
    category = SelectField(_l("Category"), choices=_pairs(CATEGORY_LABELS))
    languages = Checkboxes(_l("Written in"), choices=_pairs(LANGUAGE_LABELS))
    target_groups = Checkboxes(_l("For target groups"), choices=_pairs(TARGET_GROUP_LABELS))
    tags = StringField(_l("Tags (separated by commas)"))
    file = FileField(_l("File"))
    url = StringField(_l("Or a web address"), widget=URLInput())
    events = Checkboxes(_l("Belongs to events"), choices=[])
    audience = RadioField(_l("Who may have it"), choices=_pairs(AUDIENCE_LABELS), default="public")
    audience_events = Checkboxes(_l("Events whose people may have it"), choices=[])
    audience_groups = Checkboxes(
        _l("Only these target groups (none: all)"), choices=_pairs(TARGET_GROUP_LABELS)
    )

    def set_events(self, events: list[Any]) -> None:
        choices = [(e.slug, e.title) for e in events]
        self.events.choices = choices
        self.audience_events.choices = choices

    def as_service_data(self) -> dict[str, Any]:
        translations = {
            lang: {
                "title": self[f"title_{lang}"].data or "",
                "description": self[f"description_{lang}"].data or "",
            }
            for lang in ("sv", "en", "fi")
            if lang != self.language.data
        }
        return {
            "title": self.title.data,
            "description": self.description.data,
            "language": self.language.data,
            "translations": translations,
            "category": self.category.data,
            "languages": self.languages.data or [],
            "target_groups": self.target_groups.data or [],
            "tags": self.tags.data or "",
            "url": self.url.data or None,
            "events": self.events.data or [],
            "audience": {
                "kind": self.audience.data,
                "events": self.audience_events.data or [],
                "target_groups": self.audience_groups.data or [],
            },
        }

    def fill(self, material: Any) -> None:
        self.title.data = material.title
        self.description.data = material.description
        self.language.data = material.language
        for lang, texts in (material.translations or {}).items():
            if f"title_{lang}" in self:
                self[f"title_{lang}"].data = texts.get("title", "")
                self[f"description_{lang}"].data = texts.get("description", "")
        self.category.data = material.category
        self.languages.data = material.languages
        self.target_groups.data = material.target_groups
        self.tags.data = ", ".join(material.tags)
        self.url.data = material.url or ""
        self.events.data = [e.slug for e in material.events]
        self.audience.data = material.audience
        self.audience_events.data = [e.slug for e in material.audience_events]
        self.audience_groups.data = material.audience_groups
