"""``GET /api/v1/reports/impact`` (organiser token): the impact report (surveys.impact) over
the events the organiser manages (admins: all), ``?event=<slug>`` (repeatable), ``?from=``
and ``?to=`` (dates on the events' start)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from flask_babel import lazy_gettext as _l

from core.errors import ValidationError
from core.operations import Reply, operation, reply
from surveys import impact_schemas as schemas
from surveys.impact import ImpactFilters, Report, impact_report, parse_period, resolve_events

bp = Blueprint("impact_api", __name__, url_prefix="/api/v1")


def report_out(report: Report) -> schemas.ImpactReport:
    def groups(dimension: str) -> list[schemas.Group]:
        return [
            schemas.Group(
                value=str(value), funnel=schemas.Funnel(**f.as_dict()), suppressed=f.suppressed
            )
            for value, f in report.breakdowns[dimension]
        ]

    return schemas.ImpactReport(
        events=[slug for _, slug, _ in report.events],
        funnel=schemas.Funnel(**report.people.as_dict()),
        suppressed=report.people.suppressed,
        organisations=schemas.Funnel(**report.organisations.as_dict()),
        by_target_group=groups("target_group"),
        by_event=groups("event"),
        by_kind=groups("kind"),
        by_country=groups("country"),
        by_month=groups("month"),
        procurements=schemas.Procurements(**report.procurements),
        placements=schemas.Placements(**report.placements),
        suppliers=schemas.Suppliers(**report.suppliers),
        national_question=[
            schemas.NationalRow(
                kind=r.kind, answers=r.answers, mean=r.mean, baseline_2018=r.baseline
            )
            for r in report.national_question
        ],
        reach=schemas.Reach(
            by_country_and_kind=[schemas.ReachRow(**vars(r)) for r in report.reach],
            new_by_month=dict(report.new_organisations_by_month),
        ),
    )


@bp.get("/reports/impact")
@operation(
    "getImpactReport",
    tags=["reports"],
    summary="The impact report: event → attendance → material → invited → answered → adopted.",
    auth="token",
    query=schemas.ImpactQuery,
    responses={200: Reply("The report.", schemas.ImpactReport)},
)
def get_impact_report(query: schemas.ImpactQuery) -> Response:
    start, end = parse_period(query.from_, query.to)
    slugs = [s for s in request.args.getlist("event") if s]
    ids = resolve_events(g.organiser, slugs)
    if ids is None:
        raise ValidationError({"event": _l("There is no such event among yours.")})
    return reply(report_out(impact_report(g.organiser, ImpactFilters(ids, start, end))))
