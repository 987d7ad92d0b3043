"""The organiser's campaign form (outreach.views): CSRF and field rendering only; the rules are
outreach.campaigns' and outreach.audience's."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import DateTimeLocalInput

from events.labels import TARGET_GROUP_LABELS
from events.models import LANGUAGES
from participants.forms import COUNTRY_LABELS
from participants.kinds import KIND_LABELS

ATTENDED_CHOICES = {
    "any": _l("Anyone"),
    "came": _l("Came to an earlier event"),
    "did_not_come": _l("Registered for an earlier event but did not come"),
}


class CampaignForm(FlaskForm):
    target_groups = SelectMultipleField(
        _l("Target groups"), choices=list(TARGET_GROUP_LABELS.items()), validate_choice=False
    )
    countries = SelectMultipleField(
        _l("Country of the organisation"), choices=list(COUNTRY_LABELS.items()),
        validate_choice=False,
    )  # fmt: skip
    organisation_kinds = SelectMultipleField(
        _l("Kind of organisation"), choices=list(KIND_LABELS.items()), validate_choice=False
    )
    attended = RadioField(
        _l("Earlier attendance"), choices=list(ATTENDED_CHOICES.items()), default="any",
        validate_choice=False,
    )  # fmt: skip
    subject_sv = StringField(_l("Subject in Swedish"))
    body_sv = TextAreaField(_l("A personal word in Swedish"))
    subject_en = StringField(_l("Subject in English"))
    body_en = TextAreaField(_l("A personal word in English"))
    subject_fi = StringField(_l("Subject in Finnish"))
    body_fi = TextAreaField(_l("A personal word in Finnish"))
    when = RadioField(
        _l("When"),
        choices=[("now", _l("Send now")), ("at", _l("At a time of my choosing"))],
        default="now",
    )
    send_at = StringField(
        _l("Date and time (in the event's time zone)"), widget=DateTimeLocalInput()
    )

    def audience(self) -> dict[str, Any]:
        """The audience as the service takes it."""
        return {
            "target_groups": list(self.target_groups.data or []),
            "countries": list(self.countries.data or []),
            "organisation_kinds": list(self.organisation_kinds.data or []),
            "attended": None if self.attended.data in (None, "", "any") else self.attended.data,
        }

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        subjects = {lang: self[f"subject_{lang}"].data or "" for lang in LANGUAGES}
        bodies = {lang: self[f"body_{lang}"].data or "" for lang in LANGUAGES}
        return subjects, bodies
