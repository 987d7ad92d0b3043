"""``GET /api/v1/reports/impact`` (organiser token): the impact report (surveys.impact) over
the events the organiser manages (admins: all), ``?event=<slug>`` (repeatable), ``?from=``
and ``?to=`` (dates on the events' start)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from flask_babel import lazy_gettext as _l

from core.errors import ValidationError
from core.operations import Reply, operation, reply
from outreach.reach import ReachOverTime, SwedenReach, reach_over_time, sweden_reach
from surveys import impact_schemas as schemas
from surveys.impact import (
    ImpactFilters,
    Report,
    events_in_scope,
    impact_report,
    parse_period,
    resolve_events,
)

bp = Blueprint("impact_api", __name__, url_prefix="/api/v1")


def sweden_out(sweden: SwedenReach) -> schemas.SwedenReach:
    return schemas.SwedenReach(
        municipalities=schemas.BodyCount(
            total=sweden.municipalities, took_part=sweden.municipalities_reached
        ),
        regions=schemas.BodyCount(total=sweden.regions, took_part=sweden.regions_reached),
        not_reached_invited=[
            schemas.PublicBody(
                kind=row.body.kind,
                code=row.body.code,
                name=row.body.name,
                org_number=row.body.org_number,
                county=row.body.county,
                invited_at=row.invited_at,
            )  # fmt: skip
            for row in sweden.worklist
            if row.invited_at
        ],
    )


def months_out(over: ReachOverTime) -> list[schemas.ReachMonth]:
    return [
        schemas.ReachMonth(
            month=month,
            total=over.total[i],
            by_kind={k: v[i] for k, v in over.by_kind.items()},
            by_country={c: v[i] for c, v in over.by_country.items()},
        )
        for i, month in enumerate(over.months)
    ]


def report_out(report: Report, over: ReachOverTime, sweden: SwedenReach) -> schemas.ImpactReport:
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
            took_part_by_month=months_out(over),
            sweden=sweden_out(sweden),
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
    filters = ImpactFilters(ids, start, end)
    scope = events_in_scope(g.organiser, filters)
    return reply(
        report_out(
            impact_report(g.organiser, filters),
            reach_over_time(scope),
            sweden_reach(scope, events_in_scope(g.organiser, ImpactFilters())),
        )
    )
