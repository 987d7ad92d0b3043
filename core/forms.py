"""Sign-in and organiser account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me"))


class OrganiserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter an email.")), Email(_l("Enter a valid email."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter a password.")),
            Length(min=8, message=_l("The password must have at least 8 characters.")),
        ],
    )
    admin = BooleanField(_l("Administrator (manages organisers and every event)"))
