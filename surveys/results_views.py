"""An organiser's page of a survey's results, /manage/surveys/<id>/results: the filters (a GET
form), per question a chart beside its table, the mean and median, the free texts, and the
"fewer than 5" notices of an anonymous survey; and the responses as CSV or XLSX under the same
filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from core.audit import record_now
from core.charts import Chart, Series
from core.errors import ValidationError
from core.pages import current_organiser, download
from core.spreadsheets import to_csv, to_xlsx
from events.labels import TARGET_GROUP_LABELS
from participants.forms import COUNTRY_LABELS
from participants.kinds import KIND_LABELS
from surveys.access import require_survey
from surveys.content import decimal, percent, survey_text
from surveys.models import Survey
from surveys.results import (
    MIN_GROUP,
    Filters,
    QuestionResult,
    export_table,
    parse_filters,
    response_events,
    survey_results,
)

bp = Blueprint("survey_results", __name__)


def question_chart(question: QuestionResult) -> Chart | None:
    """The bars of a choice or likert question's counts; None when there is nothing to draw."""
    if question.suppressed or not question.options:
        return None
    return Chart(
        id=f"chart-question-{question.id}",
        title=question.text,
        description=_(
            "How many of the %(num)s who answered chose each answer.", num=question.answered
        ),
        kind="hbar",
        # The share beside each label, in the page's conventions ("Ja (40 %)"); the bars and
        # the table's numbers are the counts.
        labels=[
            f"{o.label} ({percent(o.percent / 100, decimals=1)})"
            if o.percent is not None
            else o.label
            for o in question.options
        ],
        series=[Series(_("Responses"), [o.count or 0 for o in question.options])],
        label_heading=_("Answer"),
    )


def _filters_or_errors() -> tuple[Filters, dict]:
    try:
        return parse_filters(request.args), {}
    except ValidationError as error:
        return Filters(), dict(error.fields)


@bp.get("/manage/surveys/<int:survey_id>/results")
@login_required
def results(survey_id: int) -> ResponseReturnValue:
    survey = require_survey(current_organiser(), survey_id)
    filters, errors = _filters_or_errors()
    found = survey_results(survey, filters)
    charts = {q.id: question_chart(q) for q in found.questions}
    page = render_template(
        "surveys/results.html",
        survey=survey,
        title=str(survey_text(survey, "title", survey.language)),
        results=found,
        charts=charts,
        errors=errors,
        min_group=MIN_GROUP,
        filter_args=filters.active(),
        events=response_events(survey),
        TARGET_GROUP_LABELS=TARGET_GROUP_LABELS,
        KIND_LABELS=KIND_LABELS,
        COUNTRY_LABELS=COUNTRY_LABELS,
        fmt=decimal,
        percent=percent,
    )
    return page, 422 if errors else 200


def _export(survey: Survey, what: str) -> tuple[list[str], list[list]]:
    filters = parse_filters(request.args)  # a bad filter: the error page (422)
    headers, table = export_table(survey, filters)
    if not survey.anonymous:  # responses tied to people: the audit log says who took them
        record_now(
            "responses_exported",
            event_id=survey.event_id,
            subject=f"survey:{survey.id}",
            detail={"format": what},
        )
    return headers, table


@bp.get("/manage/surveys/<int:survey_id>/results.csv")
@login_required
def results_csv(survey_id: int) -> ResponseReturnValue:
    survey = require_survey(current_organiser(), survey_id)
    headers, table = _export(survey, "csv")
    return download(to_csv(headers, table), f"survey-{survey.id}-results.csv", "text/csv")


@bp.get("/manage/surveys/<int:survey_id>/results.xlsx")
@login_required
def results_xlsx(survey_id: int) -> ResponseReturnValue:
    survey = require_survey(current_organiser(), survey_id)
    headers, table = _export(survey, "xlsx")
    return download(
        to_xlsx(_("Responses"), headers, table),
        f"survey-{survey.id}-results.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
