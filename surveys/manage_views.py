"""The organisers' survey pages: the list, a new survey from a template, one survey's overview
(its settings, sections and questions; move, remove, close), and the pages that change its
settings, a question or a section (texts in three languages). The rules are in surveys.services
and surveys.questions, the same as the API's; what answers depend on is locked there and each
page says so."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import Optional

from core.db import db
from core.errors import ServiceError, ValidationError
from core.pages import csrf_failed, current_organiser, put_errors
from events.labels import TARGET_GROUP_LABELS
from events.models import Event, event_organiser
from surveys import questions, services
from surveys.access import manageable, require_survey
from surveys.content import decimal, survey_text
from surveys.forms import (
    LANGUAGE_LABELS,
    TYPE_LABELS,
    QuestionForm,
    SectionForm,
    SettingsForm,
    languages_for,
    place_errors,
)
from surveys.models import CHOICE_TYPES, Survey, SurveyQuestion, SurveySection

bp = Blueprint("survey_manage", __name__)

TEMPLATE_LABELS = {
    "feedback": _l("Feedback right after the event"),
    "adoption_followup": _l("Follow-up of employment requirements, months later"),
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
    target_groups = SelectMultipleField(_l("Target groups"), validate_choice=False,
                                        choices=list(TARGET_GROUP_LABELS.items()))  # fmt: skip
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
            audience = list(self.target_groups.data or [])
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
                if form.audience.data == "groups":
                    names["audience"] = "target_groups"  # none chosen
                status, errors = 422, put_errors(form, err.fields, names)
            except ServiceError as err:
                status, errors = err.status, [str(err.message)]
            else:
                flash(_("The survey was created."), "success")
                return redirect(url_for(".survey", survey_id=survey.id))
    return render_template("surveys/manage_new.html", form=form, general_errors=errors), status


def _context(survey: Survey) -> dict[str, Any]:
    return {
        "survey": survey,
        "text": lambda item, field, lang=None: survey_text(item, field, survey.language, lang),
        "languages": languages_for(survey.language),
        "language_labels": LANGUAGE_LABELS,
        "type_labels": TYPE_LABELS,
        "status_labels": STATUS_LABELS,
        "group_labels": TARGET_GROUP_LABELS,
        "endpoint_url": endpoint_url,
        "fmt": decimal,
        "zone": services.survey_zone(survey),
    }


@bp.route("/manage/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
def survey(survey_id: int) -> ResponseReturnValue:
    """The overview, and its small forms: move or remove a question or a section, close."""
    organiser = current_organiser()
    found = require_survey(organiser, survey_id)
    form = ActionForm()
    status, errors = 200, []
    if form.is_submitted():
        if not form.validate():
            status, errors = 400, csrf_failed(form)
        else:
            try:
                message = _act(organiser, found, request.form)
            except ServiceError as err:
                db.session.rollback()
                status = err.status
                errors = [str(m) for m in err.fields.values()] or [str(err.message)]
            else:
                flash(message, "success")
                return redirect(url_for(".survey", survey_id=survey_id))
    answered = services.questions_with_answers(found)
    return (
        render_template(
            "surveys/manage_survey.html", form=form, general_errors=errors,
            answered=services.has_responses(found), answered_questions=answered,
            sections={s.id: s for s in found.sections}, **_context(found),
        ),
        status,
    )  # fmt: skip


def _act(organiser: Any, survey: Survey, form: Any) -> str:
    """Carry out the action the submitted form names; the flash message."""
    action = form.get("action", "")
    if action == "close":
        services.close_survey(organiser, survey)
        return _("The survey was closed.")
    if action in ("section_up", "section_down", "remove_section"):
        section = _find(survey.sections, form.get("section", ""), _l("There is no such section."))
        if action == "remove_section":
            questions.remove_section(organiser, survey, section)
            return _("The section was removed.")
        questions.move_section(organiser, survey, section, action.removeprefix("section_"))
        return _("The section was moved.")
    question = _find(survey.questions, form.get("question", ""), _l("There is no such question."))
    if action in ("up", "down"):
        questions.move_question(organiser, question, action)
        return _("The question was moved.")
    if action == "remove_question":
        questions.remove_question(organiser, question)
        return _("The question was removed.")
    raise ServiceError(_l("The request could not be processed."))


def _find(items: list[Any], wanted: str, message: Any) -> Any:
    found = next((item for item in items if str(item.id) == wanted), None)
    if found is None:
        raise ServiceError(message, status=404, code="not_found")
    return found


def _back(survey: Survey, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for(".survey", survey_id=survey.id, _anchor=anchor))


@bp.route("/manage/surveys/<int:survey_id>/settings", methods=["GET", "POST"])
@login_required
def settings(survey_id: int) -> ResponseReturnValue:
    """Texts, audience, anonymity, send time and reminders."""
    organiser = current_organiser()
    found = require_survey(organiser, survey_id)
    answered = services.has_responses(found)
    if request.method == "POST":
        form = SettingsForm(found.language)
    else:
        form = SettingsForm(
            found.language,
            formdata=None,
            data=SettingsForm.initial(found, services.survey_zone(found)),
        )
    status, general, extra = 200, [], []
    if form.is_submitted():
        if not form.validate():
            status, general = 400, csrf_failed(form)
        else:
            try:
                services.update_survey(organiser, found, form.as_service_data(found, answered))
            except ValidationError as err:
                db.session.rollback()
                status = 422
                general, extra = place_errors(form, err.fields, form.target)
            else:
                flash(_("The survey was saved."), "success")
                return _back(found)
    return render_template(
        "surveys/manage_settings.html", form=form, general_errors=general, extra_errors=extra,
        answered=answered, **_context(found),
    ), status  # fmt: skip


def _question_page(survey: Survey, question: SurveyQuestion | None) -> ResponseReturnValue:
    organiser = current_organiser()
    answered = question is not None and services.question_has_answers(question)
    if request.method == "POST":
        form = QuestionForm(survey.language, survey.sections)
    else:
        initial = QuestionForm.initial(question) if question else {"type": "single_choice"}
        form = QuestionForm(survey.language, survey.sections, formdata=None, data=initial)
        form.add_blank_options()
    status, general, extra = 200, [], []
    if form.is_submitted():
        if not form.validate():
            status, general = 400, csrf_failed(form)
        else:
            data = form.as_service_data(answered)
            try:
                if question is None:
                    question = questions.add_question(organiser, survey, data)
                    message = _("The question was added.")
                else:
                    questions.update_question(organiser, question, data)
                    message = _("The question was saved.")
            except ValidationError as err:
                db.session.rollback()
                status = 422
                general, extra = place_errors(form, err.fields, form.target)
            else:
                flash(message, "success")
                return _back(survey, f"question-{question.id}")
    return render_template(
        "surveys/manage_question.html", form=form, question=question, answered=answered,
        general_errors=general, extra_errors=extra, choice_types=CHOICE_TYPES,
        **_context(survey),
    ), status  # fmt: skip


@bp.route("/manage/surveys/<int:survey_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(survey_id: int) -> ResponseReturnValue:
    return _question_page(require_survey(current_organiser(), survey_id), None)


@bp.route("/manage/surveys/<int:survey_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def question(survey_id: int, question_id: int) -> ResponseReturnValue:
    found = require_survey(current_organiser(), survey_id)
    item = _find(found.questions, str(question_id), _l("There is no such question."))
    return _question_page(found, item)


def _section_page(survey: Survey, section: SurveySection | None) -> ResponseReturnValue:
    organiser = current_organiser()
    if request.method == "POST":
        form = SectionForm(survey.language)
    else:
        initial = SectionForm.initial(section, survey.language) if section else {}
        form = SectionForm(survey.language, formdata=None, data=initial)
    status, general = 200, []
    if form.is_submitted():
        if not form.validate():
            status, general = 400, csrf_failed(form)
        else:
            try:
                if section is None:
                    section = questions.add_section(organiser, survey, form.as_service_data())
                    message = _("The section was added.")
                else:
                    questions.update_section(organiser, survey, section, form.as_service_data())
                    message = _("The section was saved.")
            except ValidationError as err:
                db.session.rollback()
                status = 422
                general, _extra = place_errors(form, err.fields, form.target)
            else:
                flash(message, "success")
                return _back(survey, f"section-{section.id}")
    return render_template(
        "surveys/manage_section.html", form=form, section=section, general_errors=general,
        **_context(survey),
    ), status  # fmt: skip


@bp.route("/manage/surveys/<int:survey_id>/sections/new", methods=["GET", "POST"])
@login_required
def new_section(survey_id: int) -> ResponseReturnValue:
    return _section_page(require_survey(current_organiser(), survey_id), None)


@bp.route("/manage/surveys/<int:survey_id>/sections/<int:section_id>", methods=["GET", "POST"])
@login_required
def section(survey_id: int, section_id: int) -> ResponseReturnValue:
    found = require_survey(current_organiser(), survey_id)
    item = _find(found.sections, str(section_id), _l("There is no such section."))
    return _section_page(found, item)
