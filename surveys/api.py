"""The surveys' part of JSON API v1 (organiser token):

- ``POST /api/v1/surveys``: a survey from a built-in template → 201 ``{id}``.
- ``GET /api/v1/surveys/<id>``: the survey with its questions, texts in the request's
  language; 404 for one the token's organiser does not manage.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from core.operations import Reply, describe_path_parameter, operation, reply
from core.urls import external_url
from surveys import schemas, services
from surveys.access import require_survey
from surveys.content import survey_text
from surveys.models import Survey

bp = Blueprint("surveys_api", __name__, url_prefix="/api/v1")

describe_path_parameter(
    "survey_id", "The survey's id.", type="integer", minimum=1, maximum=2**31 - 1
)


def survey_out(survey: Survey) -> schemas.Survey:
    own = survey.language

    def text(item: Any, field: str) -> str:
        return survey_text(item, field, own).text

    return schemas.Survey(
        id=survey.id,
        template=survey.template,
        event=survey.event.slug if survey.event else None,
        language=own,
        title=text(survey, "title"),
        introduction=text(survey, "introduction"),
        audience=survey.audience,
        target_groups=survey.target_groups or [],
        anonymous=survey.anonymous,
        status=survey.status,
        send_after_days=survey.send_after_days,
        send_at=survey.send_at,
        closes_at=survey.closes_at,
        reminders=schemas.Reminders(max=survey.reminder_max, every_days=survey.reminder_every_days),
        sections=[schemas.Section(id=s.id, title=text(s, "title")) for s in survey.sections],
        questions=[
            schemas.Question(
                id=q.id,
                code=q.code,
                type=q.type,
                required=q.required,
                text=text(q, "text"),
                section=q.section_id,
                target_groups=q.target_groups or [],
                options=[schemas.Option(code=o.code, label=text(o, "label")) for o in q.options],
                min=float(q.min_value) if q.min_value is not None else None,
                max=float(q.max_value) if q.max_value is not None else None,
            )
            for q in survey.questions
        ],
    )


@bp.post("/surveys")
@operation(
    "createSurvey",
    tags=["surveys"],
    summary="A survey from a built-in template (feedback or adoption_followup), scheduled.",
    auth="token",
    body=schemas.SurveyCreate,
    responses={
        201: Reply("Created.", schemas.Created, {"Location": "The survey's API URL."}),
        403: Reply("The token's organiser does not organise the event."),
    },
)
def create_survey(body: dict[str, Any]) -> Response:
    survey = services.create_survey(g.organiser, body)
    location = external_url("surveys_api.get_survey", survey_id=survey.id)
    return reply(schemas.Created(id=survey.id), 201, {"Location": location})


@bp.get("/surveys/<int:survey_id>")
@operation(
    "getSurvey",
    tags=["surveys"],
    summary="One survey with its questions, in the request's language.",
    auth="token",
    responses={
        200: Reply("The survey.", schemas.Survey),
        404: Reply("No such survey, or one the token's organiser does not manage."),
    },
)
def get_survey(survey_id: int) -> Response:
    return reply(survey_out(require_survey(g.organiser, survey_id)))
