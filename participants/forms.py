"""Forms for the registration pages: CSRF and field rendering only.

Every rule (required fields, organisation numbers, target groups, sessions, seats) is checked
by participants.services; the views turn these forms into the dict the service and the JSON
API take, and put the service's messages back next to the fields (the field names are the
service's: name, email, organisation, org_number, country, target_group, role, language,
sessions, needs).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import DateTimeLocalInput

from core.pages import MarkRequired
from events.labels import LANGUAGE_LABELS, TARGET_GROUP_LABELS, sorted_target_groups
from events.models import TARGET_GROUPS

COUNTRY_LABELS = {"SE": _l("Sweden"), "FI": _l("Finland"), "other": _l("Another country")}
STATUS_LABELS = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("Waitlisted"),
    "cancelled": _l("Cancelled"),
}
ATTENDED_LABELS = {"": _l("Any"), "yes": _l("Attended"), "no": _l("Not attended")}


class RegistrationForm(FlaskForm):
    # In the order the page shows them (templates/participants/_person_fields.html), which is
    # the order of the error summary. Optional fields are marked "(optional)" by the template.
    name = StringField(_l("Name"), validators=[MarkRequired()])
    email = EmailField(_l("Email"), validators=[MarkRequired()])
    role = StringField(_l("Role or title"))
    target_group = SelectField(
        _l("Target group"), validators=[MarkRequired()], validate_choice=False
    )
    language = SelectField(
        _l("Preferred language for emails and your registration page"),
        choices=list(LANGUAGE_LABELS.items()),
        validate_choice=False,
    )
    organisation = StringField(_l("Organisation"), validators=[MarkRequired()])
    country = SelectField(
        _l("Country of the organisation"),
        choices=list(COUNTRY_LABELS.items()),
        validate_choice=False,
    )
    org_number = StringField(_l("Organisation number"))
    # Rendered by the template as checkboxes in a fieldset (with time, room and "full").
    sessions = SelectMultipleField(_l("Sessions"), coerce=str, validate_choice=False)
    needs = TextAreaField(_l("Dietary and accessibility needs"))
    consent_future_invitations = BooleanField(
        _l("Yes, send me invitations to future events of the project")
    )
    # The secret of the personal invitation link the form was opened from (participants.hooks).
    invitation = HiddenField()

    def set_target_groups(self, codes: list[str] | tuple[str, ...]) -> None:
        self.target_group.choices = [("", _l("Choose…"))] + [
            (code, TARGET_GROUP_LABELS[code]) for code in sorted_target_groups(codes)
        ]

    def prefill(self, data: dict[str, Any]) -> None:
        """Fill in what an invitation knows of the person (participants.hooks.prefill)."""
        for key in ("name", "email", "role", "organisation", "org_number", "country", "language"):
            if data.get(key):
                self[key].data = data[key]
        if data.get("target_group") in {c for c, _label in self.target_group.choices or []}:
            self.target_group.data = data["target_group"]

    def as_service_data(self) -> dict[str, Any]:
        """The same dict the JSON API takes."""
        return {
            "name": self.name.data or "",
            "email": self.email.data or "",
            "organisation": {
                "name": self.organisation.data or "",
                "org_number": self.org_number.data or "",
                "country": self.country.data or "SE",
            },
            "target_group": self.target_group.data or "",
            "role": self.role.data or "",
            "language": self.language.data or "",
            "sessions": list(self.sessions.data or []),
            "needs": self.needs.data or "",
            "consent_future_invitations": bool(self.consent_future_invitations.data),
        }


class AddPersonForm(RegistrationForm):
    """An organiser adds someone by hand (a speaker, say): any target group. The labels
    speak to the organiser about the person, not in the person's own voice."""

    name = StringField(_l("The person's name"), validators=[MarkRequired()])
    email = EmailField(_l("Their email address"), validators=[MarkRequired()])
    role = StringField(_l("Their role or title"))
    language = SelectField(
        _l("Their language for emails and their registration page"),
        choices=list(LANGUAGE_LABELS.items()),
        validate_choice=False,
    )
    organisation = StringField(_l("Their organisation"), validators=[MarkRequired()])
    needs = TextAreaField(_l("Their dietary and accessibility needs"))
    consent_future_invitations = BooleanField(
        _l("They have agreed to receive invitations to future events of the project")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_target_groups(TARGET_GROUPS)


class SessionsForm(FlaskForm):
    sessions = SelectMultipleField(_l("Sessions"), coerce=str, validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class MailingForm(FlaskForm):
    """A message to the registrants (participants.mailing_views): who gets it, a subject and a
    body per language (the event's required, the page says so), and when."""

    status = SelectField(
        _l("Status"),
        choices=[
            ("", _l("Confirmed and waitlisted")),
            ("confirmed", _l("Confirmed")),
            ("waitlisted", _l("Waitlisted")),
            ("cancelled", _l("Cancelled")),
        ],
        validate_choice=False,
    )
    target_group = SelectField(
        _l("Target group"),
        choices=[("", _l("All target groups"))] + list(TARGET_GROUP_LABELS.items()),
        validate_choice=False,
    )
    attended = SelectField(
        _l("Attendance"), choices=list(ATTENDED_LABELS.items()), validate_choice=False
    )
    q = StringField(_l("Name, email or organisation contains"))
    subject_sv = StringField(_l("Subject in Swedish"))
    body_sv = TextAreaField(_l("Message in Swedish"))
    subject_en = StringField(_l("Subject in English"))
    body_en = TextAreaField(_l("Message in English"))
    subject_fi = StringField(_l("Subject in Finnish"))
    body_fi = TextAreaField(_l("Message in Finnish"))
    when = RadioField(
        _l("When"),
        choices=[("now", _l("Send now")), ("at", _l("At a time of my choosing"))],
        default="now",
    )
    send_at = StringField(
        _l("Date and time (in the event's time zone)"), widget=DateTimeLocalInput()
    )

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        """(subjects, bodies) by language, as the service takes them."""
        subjects = {lang: self[f"subject_{lang}"].data or "" for lang in ("sv", "en", "fi")}
        bodies = {lang: self[f"body_{lang}"].data or "" for lang in ("sv", "en", "fi")}
        return subjects, bodies

    def filters(self) -> dict[str, str]:
        keys = ("status", "target_group", "attended", "q")
        return {k: self[k].data for k in keys if self[k].data}


class PrintoutForm(FlaskForm):
    """Badges or the attendance list to be built (participants.print_views): in which language
    and of whom (the whole event or one session). The button pressed names the kind; the
    choices are the event's, set by the view."""

    language = SelectField(_l("Language of the printout"), choices=[], validate_choice=False)
    session = SelectField(_l("Who is on it"), choices=[], validate_choice=False)
