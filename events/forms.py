"""Forms for organisers' event management: CSRF and field rendering only.

Every business rule (required fields, times, zones, venues, quotas) is checked by
events.services; the views turn these forms into the dict the service and the API take and
put the service's messages back next to the fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.widgets import DateTimeLocalInput, NumberInput, URLInput

from core.pages import MarkRequired
from events.models import LANGUAGES, TARGET_GROUPS

try:
    from wtforms import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs
    SelectChoice = None
from events.labels import FORMAT_LABELS, KIND_LABELS, LANGUAGE_LABELS

# The zones an organiser picks from in the event form (the API takes any IANA name; an event
# saved in another zone keeps it, offered as one more choice when it is edited).
COMMON_TIMEZONES = ("Europe/Stockholm", "Europe/Helsinki", "Europe/Oslo", "Europe/Copenhagen")


def timezone_choices(current: str | None = None) -> list[tuple[str, str]]:
    """(zone, "Stockholm – centraleuropeisk tid") for the supported zones, in the page's
    language, plus current when it is not one of them."""
    from zoneinfo import ZoneInfo

    from babel.dates import get_timezone_location, get_timezone_name

    from core.i18n import current_language

    lang = current_language()
    zones = list(COMMON_TIMEZONES)
    if current and current not in zones:
        zones.append(current)
    choices = []
    for tz in zones:
        try:
            zone = ZoneInfo(tz)
        except (KeyError, ValueError):
            choices.append((tz, tz))
            continue
        city = get_timezone_location(zone, locale=lang, return_city=True)
        choices.append((tz, f"{city} – {get_timezone_name(zone, 'long', locale=lang)}"))
    return choices


def _choices(labels: dict[str, Any]) -> list[Any]:
    return [SelectChoice(v, lbl) if SelectChoice else (v, lbl) for v, lbl in labels.items()]


def _datetime_field(label: Any, required: bool = False) -> StringField:
    # A plain string: the service parses it as naive local time in the event's zone.
    return StringField(
        label, validators=[MarkRequired()] if required else [], widget=DateTimeLocalInput()
    )


def _number_field(label: Any) -> StringField:
    return StringField(label, widget=NumberInput(min=0))


# The texts in the languages other than the event's own: title_<lang> and description_<lang>,
# shown as a fieldset per language (translation_fieldsets) and sent as `translations`.
TRANSLATION_LEGENDS = {
    "sv": _l("In Swedish (optional)"),
    "en": _l("In English (optional)"),
    "fi": _l("In Finnish (optional)"),
}
_TITLE_LABELS = {
    "sv": _l("Title in Swedish"),
    "en": _l("Title in English"),
    "fi": _l("Title in Finnish"),
}
_DESCRIPTION_LABELS = {
    "sv": _l("Description in Swedish"),
    "en": _l("Description in English"),
    "fi": _l("Description in Finnish"),
}


def _title(lang: str) -> StringField:
    return StringField(_TITLE_LABELS[lang], render_kw={"lang": lang})


def _description(lang: str) -> TextAreaField:
    return TextAreaField(_DESCRIPTION_LABELS[lang], render_kw={"lang": lang})


class TranslationFields:
    """For a form that declares title_<lang> and description_<lang> for sv, en and fi (right
    after its own title and description, so its errors are listed in that order)."""

    def translation_fieldsets(self, own: str) -> list[tuple[Any, Any, Any]]:
        """(legend, title field, description field) for each language but the own one."""
        return [
            (
                TRANSLATION_LEGENDS[lang],
                getattr(self, f"title_{lang}"),
                getattr(self, f"description_{lang}"),
            )
            for lang in LANGUAGES
            if lang != own
        ]

    def translations_data(self, own: str) -> dict[str, dict[str, str]]:
        """The fieldsets shown (all languages but own) as the service's `translations`."""
        return {
            lang: {
                "title": getattr(self, f"title_{lang}").data or "",
                "description": getattr(self, f"description_{lang}").data or "",
            }
            for lang in LANGUAGES
            if lang != own
        }

    def fill_translations(self, translations: dict[str, Any] | None) -> None:
        for lang in LANGUAGES:
            texts = (translations or {}).get(lang) or {}
            getattr(self, f"title_{lang}").data = texts.get("title", "")
            getattr(self, f"description_{lang}").data = texts.get("description", "")


# The service's names of the translated fields -> the form's.
TRANSLATION_FIELD_NAMES = {
    f"translations.{lang}.{field}": f"{field}_{lang}"
    for lang in LANGUAGES
    for field in ("title", "description")
}


class EventForm(FlaskForm, TranslationFields):
    title = StringField(_l("Title"), validators=[MarkRequired()])
    description = TextAreaField(_l("Description"))
    title_sv, description_sv = _title("sv"), _description("sv")
    title_en, description_en = _title("en"), _description("en")
    title_fi, description_fi = _title("fi"), _description("fi")
    kind = SelectField(_l("Kind of event"), choices=_choices(KIND_LABELS), validate_choice=False)
    format = SelectField(_l("Format"), choices=_choices(FORMAT_LABELS), validate_choice=False)
    language = SelectField(
        _l("Language of the event"), choices=_choices(LANGUAGE_LABELS), validate_choice=False
    )
    timezone = SelectField(_l("Time zone"), default="Europe/Stockholm", validate_choice=False)
    starts_at = _datetime_field(_l("Starts"), required=True)
    ends_at = _datetime_field(_l("Ends"), required=True)
    venue_name = StringField(_l("Venue"))
    venue_address = StringField(_l("Street address"))
    venue_city = StringField(_l("City"))
    venue_country = StringField(_l("Country"))
    online_url = StringField(_l("Online join link"), widget=URLInput())
    capacity = _number_field(_l("Capacity (places)"))
    registration_opens_at = _datetime_field(_l("Registration opens"))
    registration_closes_at = _datetime_field(_l("Registration closes"))
    co_organisers = TextAreaField(_l("Co-organisers"))
    send_reminder = BooleanField(_l("Email a reminder to the participants the day before"),
                                 default=True)  # fmt: skip

    # One checkbox and one quota per target group, rendered by the template by name:
    # target_group_<code> and quota_<code>.
    target_group_codes = TARGET_GROUPS


class SessionForm(FlaskForm, TranslationFields):
    title = StringField(_l("Title"), validators=[MarkRequired()])
    description = TextAreaField(_l("Description"))
    title_sv, description_sv = _title("sv"), _description("sv")
    title_en, description_en = _title("en"), _description("en")
    title_fi, description_fi = _title("fi"), _description("fi")
    starts_at = _datetime_field(_l("Starts"), required=True)
    ends_at = _datetime_field(_l("Ends"), required=True)
    room = StringField(_l("Room"))
    speakers = TextAreaField(_l("Speakers"))
    capacity = _number_field(_l("Capacity of its own (places)"))
    track_attendance = BooleanField(_l("Check people in to this session at its own door"))


class ConfirmForm(FlaskForm):
    """A button that changes state (publish, cancel, delete): CSRF only."""


class DuplicateForm(FlaskForm):
    """Where and when the copy of an event runs (events.duplicate): the rest is the source's."""

    title = StringField(_l("New title"))
    language = SelectField(
        _l("Language of the event"), choices=_choices(LANGUAGE_LABELS), validate_choice=False
    )
    timezone = SelectField(_l("Time zone"), default="Europe/Stockholm", validate_choice=False)
    starts_at = _datetime_field(_l("Starts"), required=True)
    format = SelectField(_l("Format"), choices=_choices(FORMAT_LABELS), validate_choice=False)
    venue_name = StringField(_l("Venue"))
    venue_address = StringField(_l("Street address"))
    venue_city = StringField(_l("City"))
    venue_country = StringField(_l("Country"))
    online_url = StringField(_l("Online join link"), widget=URLInput())


LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def local_text(moment: datetime | None, tz: str) -> str:
    """A stored moment as the form's field shows it: local time in the zone tz."""
    return moment.astimezone(ZoneInfo(tz)).strftime(LOCAL_FORMAT) if moment else ""
