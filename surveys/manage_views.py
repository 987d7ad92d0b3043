"""The organisers' survey pages: the list, a new survey from a template, and one survey's
settings and questions (texts in three languages; add, remove, move). The rules are in
surveys.services, the same as the API's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField
from wtforms.validators import Optional

from core.db import db
from core.errors import ServiceError, ValidationError
from core.pages import csrf_failed, current_organiser, put_errors
from events.labels import TARGET_GROUP_LABELS
from events.models import LANGUAGES, Event, event_organiser
from surveys import questions, services
from surveys.access import manageable, require_survey
from surveys.content import survey_text
from surveys.models import QUESTION_TYPES, Survey

bp = Blueprint("survey_manage", __name__)

TEMPLATE_LABELS = {
    "feedback": _l("Feedback right after the event"),
    "adoption_followup": _l("Follow-up of employment requirements, months later"),
}
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
STATUS_LABELS = {"draft": _l("Draft"), "scheduled": _l("Scheduled"), "closed": _l("Closed")}


class NewSurveyForm(FlaskForm):
    template = RadioField(_l("Template"), choices=list(TEMPLATE_LABELS.items()),
                          default="feedback")  # fmt: skip
    event = SelectField(_l("Event"), choices=[], validate_choice=False)  # the service decides
    audience = RadioField(_l("Send to"), default="attendees", choices=[
        ("attendees", _l("Everyone who came")), ("registrants", _l("Everyone registered")),
        ("groups", _l("Only some target groups")),
    ])  # fmt: skip
    target_groups = SelectField(_l("Target group"), choices=[("", "")] + [
        (k, v) for k, v in TARGET_GROUP_LABELS.items()], validators=[Optional()])  # fmt: skip
    anonymous = RadioField(_l("Anonymous answers"), default="default", choices=[
        ("default", _l("As the template suggests")), ("yes", _l("Anonymous")),
        ("no", _l("Named"))])  # fmt: skip
    send_after_days = IntegerField(_l("Days after the event's end"), validators=[Optional()])
    reminder_max = IntegerField(_l("Reminders at most"), validators=[Optional()])
    reminder_every_days = IntegerField(_l("Days between reminders"), validators=[Optional()])
    language = RadioField(_l("Language of the survey"), default="sv",
                          choices=list(LANGUAGE_LABELS.items()))  # fmt: skip

    def as_service_data(self) -> dict[str, Any]:
        audience: Any = self.audience.data
        if audience == "groups":
            audience = [self.target_groups.data] if self.target_groups.data else ["?"]
        data: dict[str, Any] = {
            "template": self.template.data,
            "event": self.event.data or None,
            "audience": audience,
            "send_after_days": self.send_after_days.data,
            "reminders": {"max": self.reminder_max.data,
                          "every_days": self.reminder_every_days.data},
            "language": self.language.data,
        }  # fmt: skip
        if self.anonymous.data in ("yes", "no"):
            data["anonymous"] = self.anonymous.data == "yes"
        return data


class ActionForm(FlaskForm):
    """Only the CSRF token; the fields of the small forms are read from request.form."""


def _my_events() -> list[Event]:
    organiser = current_organiser()
    query = sa.select(Event).order_by(Event.starts_at.desc())
    if not organiser.is_admin:
        mine = sa.select(event_organiser.c.event_id).where(
            event_organiser.c.organiser_id == organiser.id
        )
        query = query.where(sa.or_(Event.created_by_id == organiser.id, Event.id.in_(mine)))
    return list(db.session.scalars(query))


def endpoint_url(endpoint: str, **values: Any) -> str | None:
    """A link to another part's page when it exists (they are built in parallel)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.get("/manage/surveys")
@login_required
def index() -> ResponseReturnValue:
    surveys = db.session.scalars(
        sa.select(Survey).where(manageable(current_organiser())).order_by(Survey.id.desc())
    ).all()
    return render_template("surveys/manage_index.html", surveys=surveys,
                           status_labels=STATUS_LABELS, endpoint_url=endpoint_url)  # fmt: skip


@bp.route("/manage/surveys/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    form = NewSurveyForm()
    form.event.choices = [("", _("No event: everyone"))] + [(e.slug, e.title) for e in _my_events()]
    if request.method == "GET" and request.args.get("event"):
        form.event.data = request.args["event"]
    status, errors = 200, []
    if form.is_submitted():
        if not form.validate():
            status, errors = 400, csrf_failed(form)
            for name in ("send_after_days", "reminder_max", "reminder_every_days"):
                if getattr(form, name).errors:
                    getattr(form, name).errors = [_("Give a whole number.")]
                    errors = errors or []
        else:
            try:
                survey = services.create_survey(current_organiser(), form.as_service_data())
            except ValidationError as err:
                names = {"reminders.max": "reminder_max",
                         "reminders.every_days": "reminder_every_days"}  # fmt: skip
                status, errors = 422, put_errors(form, err.fields, names)
            except ServiceError as err:
                status, errors = err.status, [str(err.message)]
            else:
                flash(_("The survey was created."), "success")
                return redirect(url_for(".survey", survey_id=survey.id))
    return render_template("surveys/manage_new.html", form=form, general_errors=errors), status


def _translations_from(form: Any, own: str, fields: tuple[str, ...]) -> dict[str, Any]:
    return {
        lang: {name: form.get(f"{name}_{lang}", "") for name in fields}
        for lang in LANGUAGES
        if lang != own
    }


@bp.route("/manage/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
def survey(survey_id: int) -> ResponseReturnValue:
    organiser = current_organiser()
    found = require_survey(organiser, survey_id)
    form = ActionForm()
    status, errors, fields = 200, [], {}
    if form.is_submitted():
        if not form.validate():
            status, errors = 400, csrf_failed(form)
        else:
            try:
                message = _act(organiser, found, request.form)
            except ValidationError as err:
                status, fields = 422, {k: str(v) for k, v in err.fields.items()}
                errors = [f"{k}: {v}" for k, v in fields.items()]
                db.session.rollback()
            except ServiceError as err:
                status, errors = err.status, [str(err.message)]
                db.session.rollback()
            else:
                flash(message, "success")
                return redirect(url_for(".survey", survey_id=survey_id))
    return (
        render_template(
            "surveys/manage_survey.html", survey=found, form=form, general_errors=errors,
            text=lambda item, field, lang=None: survey_text(item, field, found.language, lang),
            languages=LANGUAGES, language_labels=LANGUAGE_LABELS, type_labels=TYPE_LABELS,
            question_types=QUESTION_TYPES, status_labels=STATUS_LABELS,
            answered=services.has_responses(found), endpoint_url=endpoint_url,
        ),
        status,
    )  # fmt: skip


def _act(organiser: Any, survey: Survey, form: Any) -> str:
    """Carry out the action the submitted form names; the flash message."""
    action = form.get("action", "")
    own = survey.language
    if action == "settings":
        data: dict[str, Any] = {
            "title": form.get("title", ""),
            "introduction": form.get("introduction", ""),
            "translations": _translations_from(form, own, ("title", "introduction")),
            "reminders": {"max": form.get("reminder_max"),
                          "every_days": form.get("reminder_every_days")},
        }  # fmt: skip
        if form.get("anonymous") in ("yes", "no"):
            data["anonymous"] = form.get("anonymous") == "yes"
        for key in ("send_at", "closes_at"):
            if form.get(key):
                data[key] = form.get(key)
        services.update_survey(organiser, survey, data)
        return _("The survey was saved.")
    if action == "close":
        services.close_survey(organiser, survey)
        return _("The survey was closed.")
    if action == "add_question":
        questions.add_question(organiser, survey, {
            "code": form.get("code", ""), "type": form.get("type", ""),
            "text": form.get("text", ""), "required": form.get("required") == "1",
            "options": _options_from(form.get("options", "")),
        })  # fmt: skip
        return _("The question was added.")
    if action == "add_section":
        questions.add_section(organiser, survey, {"title": form.get("title", "")})
        return _("The section was added.")
    question_id = form.get("question", "")
    question = next((q for q in survey.questions if str(q.id) == question_id), None)
    if question is None:
        raise ServiceError(_l("There is no such question."), status=404, code="not_found")
    if action == "edit_question":
        data = {
            "text": form.get("text", ""),
            "translations": _translations_from(form, own, ("text",)),
            "required": form.get("required") == "1",
        }
        if question.options:
            data["options"] = [
                {"code": o.code, "label": form.get(f"option_{o.id}", o.label),
                 "translations": {lang: {"label": form.get(f"option_{o.id}_{lang}", "")}
                                  for lang in LANGUAGES if lang != own}}
                for o in question.options
            ]  # fmt: skip
        questions.update_question(organiser, question, data)
        return _("The question was saved.")
    if action in ("up", "down"):
        questions.move_question(organiser, question, action)
        return _("The question was moved.")
    if action == "remove_question":
        questions.remove_question(organiser, question)
        return _("The question was removed.")
    raise ServiceError(_l("The request could not be processed."))


def _options_from(text: str) -> list[dict[str, str]]:
    """One option a line, "code: label"."""
    options = []
    for line in text.splitlines():
        if line.strip():
            code, _sep, label = line.partition(":")
            options.append({"code": code.strip(), "label": (label or code).strip()})
    return options
