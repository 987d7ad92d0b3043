"""Forms of the organiser accounts: an admin's, an organiser's own, and the password reset.
Field rules only; the services (core.accounts) hold the rules that need the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

_NAME = [DataRequired(_l("Enter a name.")), Length(max=200)]
_EMAIL = [
    DataRequired(_l("Enter an email.")),
    Email(_l("Enter a valid email.")),
    Length(max=254),
]
_NEW_PASSWORD = [
    DataRequired(_l("Enter a password.")),
    Length(min=8, message=_l("The password must have at least 8 characters.")),
]


def role_choices() -> list[tuple[str, str]]:
    return [
        ("organiser", str(_l("Organiser"))),
        ("admin", str(_l("Administrator (manages organisers and every event)"))),
    ]


class AccountForm(FlaskForm):
    """An admin edits an account."""

    name = StringField(_l("Name"), validators=_NAME)
    email = EmailField(_l("Email"), validators=_EMAIL)
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class NewAccountForm(AccountForm):
    """An admin creates an account, giving its first password."""

    password = PasswordField(_l("Password"), validators=_NEW_PASSWORD)


class NameForm(FlaskForm):
    name = StringField(_l("Name"), validators=_NAME)


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    password = PasswordField(_l("New password"), validators=_NEW_PASSWORD)
    confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[
            DataRequired(_l("Enter the new password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class TokenForm(FlaskForm):
    label = StringField(
        _l("What the token is for"),
        validators=[DataRequired(_l("Enter what the token is for.")), Length(max=100)],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=_EMAIL)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=_NEW_PASSWORD)
    confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[
            DataRequired(_l("Enter the new password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )
