"""A survey's results in JSON API v1: ``GET /api/v1/surveys/<id>/results`` (an organiser's
token; a survey they do not manage is 404), with the filters as query parameters (an unknown
value is 422 naming the field). The figures come from surveys.results."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, g

from core.operations import Reply, describe_path_parameter, operation, reply
from surveys import results_schemas as schemas
from surveys.access import require_survey
from surveys.results import Filters, survey_results

bp = Blueprint("survey_results_api", __name__, url_prefix="/api/v1")

describe_path_parameter(
    "survey_id", "The survey's id.", type="integer", minimum=1, maximum=2**31 - 1
)


@bp.get("/surveys/<int:survey_id>/results")
@operation(
    "getSurveyResults",
    tags=["surveys"],
    summary="A survey's results, per question, under the filters.",
    auth="token",
    query=schemas.ResultsQuery,
    responses={
        200: Reply("The results.", schemas.SurveyResults),
        404: Reply("No such survey, or one the token's organiser does not manage."),
    },
)
def get_results(survey_id: int, query: schemas.ResultsQuery) -> Response:
    survey = require_survey(g.organiser, survey_id)
    filters = Filters(query.target_group, query.event, query.organisation_kind, query.country)
    results = survey_results(survey, filters)
    return reply(
        schemas.SurveyResults(
            survey_id=results.survey_id,
            anonymous=results.anonymous,
            invited=results.invited,
            reminded=results.reminded,
            responses=results.responses,
            suppressed=results.suppressed,
            questions=[schemas.QuestionResult(**asdict(q)) for q in results.questions],
        )
    )
