"""The impact report's page, ``/manage/impact`` (filters by GET: events, from, to), and its
CSV export, ``/manage/impact.csv``. The figures are surveys.impact's."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import login_required

from core.charts import Chart, Series
from core.db import db
from core.errors import ValidationError
from core.pages import current_organiser, download
from core.spreadsheets import parse_separator, to_csv, to_xlsx
from events.labels import TARGET_GROUP_LABELS
from events.models import Event
from outreach.reach import ReachOverTime, SwedenReach, reach_over_time, sweden_reach
from participants.kinds import KIND_LABELS
from surveys.funnel import STAGES, Funnel
from surveys.impact import (
    ImpactFilters,
    Report,
    events_in_scope,
    impact_report,
    parse_period,
)
from surveys.results import MIN_GROUP

bp = Blueprint("impact", __name__, url_prefix="/manage")

STAGE_LABELS = {
    # A count of people, not the moment of registering (the lists' column "Registered").
    "registered": lazy_pgettext("funnel stage", "Registered"),
    "attended": _l("Attended"),
    "downloaded": _l("Took a material"),
    "invited": _l("Invited to a survey"),
    "answered": _l("Answered"),
    "adopted": _l("Adopted employment requirements"),
}
DIMENSION_LABELS = {
    "target_group": _l("Target group"),
    "event": _l("Event"),
    "kind": _l("Kind of organisation"),
    "country": _l("Country"),
    "month": _l("Month of the event"),
}
DIMENSION_CAPTIONS = {
    "target_group": _l("By target group"),
    "event": _l("By event"),
    "kind": _l("By kind of organisation"),
    "country": _l("By country"),
    "month": _l("By month of the event"),
}


def _filters() -> tuple[ImpactFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    ids = []
    for value in request.args.getlist("event"):
        if value.isascii() and value.isdigit() and len(value) < 10:  # not "²"
            ids.append(int(value))
    date_from = date_to = None
    try:
        date_from, date_to = parse_period(request.args.get("from"), request.args.get("to"))
    except ValidationError as err:
        errors = {name: str(message) for name, message in err.fields.items()}
    return ImpactFilters(tuple(ids), date_from, date_to), errors


def labeller(report: Report) -> Callable[[str, str], str]:
    """Names for a breakdown's values: an event by its title (the report keys events by
    slug), a target group or kind by its translated label."""
    titles = {slug: title for _id, slug, title in report.events}

    def label(dimension: str, value: str) -> str:
        if dimension == "event":
            return titles.get(value, value)
        return _label(dimension, value)

    return label


def _label(dimension: str, value: str) -> str:
    if dimension == "target_group":
        return str(TARGET_GROUP_LABELS.get(value, value))
    if dimension == "kind":
        return str(KIND_LABELS.get(value, value))
    return value


def figures(funnel: Funnel) -> list[int | str]:
    """A funnel's figures as the page and the CSV show them: a withheld one as "fewer than 5"."""
    return [
        _("fewer than %(num)s", num=MIN_GROUP) if value is None else value
        for value in funnel.as_dict().values()
    ]


def funnel_chart(report: Report) -> Chart:
    return Chart(
        id="impact-funnel",
        title=_("From event to adoption, in people"),
        description=_(
            "How many people reached each step: %(first)s registered, %(last)s adopted.",
            first=report.people.registered,
            last=figures(report.people)[-1],
        ),
        kind="hbar",
        labels=[str(STAGE_LABELS[s]) for s in STAGES],
        series=[
            # a withheld figure is drawn as nothing; the table and the text say why
            Series(_("People"), [v or 0 for v in report.people.as_dict().values()]),
            Series(_("Organisations"), list(report.organisations.as_dict().values())),
        ],
        label_heading=_("Step"),
    )


def national_chart(report: Report) -> Chart:
    rows = [r for r in report.national_question if r.baseline is not None]
    return Chart(
        id="impact-national",
        title=_("Employment requirements in procurements, 1 to 5, beside the 2018 survey"),
        description=_("The mean answer by kind of organisation and the national mean of 2018."),
        kind="bar",
        labels=[str(KIND_LABELS[r.kind]) for r in rows],
        series=[
            Series(_("Our answers"), [r.mean if r.mean is not None else 0 for r in rows]),
            Series(_("National, 2018"), [r.baseline or 0 for r in rows]),
        ],
        label_heading=_("Kind of organisation"),
    )


COUNTRY_LABELS = {"SE": _l("Sweden"), "FI": _l("Finland"), "other": _l("Other countries")}
BODY_KIND_LABELS = {"municipality": _l("Municipality"), "region": _l("Region")}


def reach_charts(reach: ReachOverTime) -> list[Chart]:
    """Cumulative organisations that took part, by kind and by country: each a line a series."""
    if not reach.months:
        return []
    last = reach.total[-1]
    return [
        Chart(
            id="reach-kind",
            title=_("Organisations that took part, by kind, over time"),
            description=_(
                "Distinct organisations that had taken part by the end of each month, by kind "
                "of organisation: %(num)s by %(month)s.",
                num=last,
                month=reach.months[-1],
            ),
            kind="line",
            labels=reach.months,
            series=[Series(str(KIND_LABELS[k]), v) for k, v in reach.by_kind.items()],
            label_heading=_("Month"),
        ),
        Chart(
            id="reach-country",
            title=_("Organisations that took part, by country, over time"),
            description=_(
                "Distinct organisations that had taken part by the end of each month, by "
                "country: %(num)s by %(month)s.",
                num=last,
                month=reach.months[-1],
            ),
            kind="line",
            labels=reach.months,
            series=[Series(str(COUNTRY_LABELS[c]), v) for c, v in reach.by_country.items()],
            label_heading=_("Month"),
        ),
    ]


def _reach_scopes(filters: ImpactFilters) -> tuple[sa.Select, sa.Select]:
    """The events whose attendance counts (the report's filters) and the events whose
    campaigns count as invitations (every event the organiser manages: campaigns invite to
    upcoming events, which a period of past events leaves out)."""
    organiser = current_organiser()
    return events_in_scope(organiser, filters), events_in_scope(organiser, ImpactFilters())


@bp.route("/impact")
@login_required
def report() -> ResponseReturnValue:
    organiser = current_organiser()
    filters, errors = _filters()
    result = impact_report(organiser, ImpactFilters(filters.events) if errors else filters)
    scope, campaign_scope = _reach_scopes(ImpactFilters(filters.events) if errors else filters)
    reach = reach_over_time(scope)
    sweden = sweden_reach(scope, campaign_scope)
    choices = db.session.execute(
        sa.select(Event.id, Event.title, Event.starts_at)
        .where(Event.id.in_(events_in_scope(organiser, ImpactFilters())))
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template(
        "surveys/impact.html",
        report=result,
        filters=filters,
        errors=errors,
        choices=choices,
        funnel_chart=funnel_chart(result),
        national_chart=national_chart(result),
        stage_heads=[STAGE_LABELS[s] for s in STAGES],
        dimension_labels=DIMENSION_LABELS,
        dimension_captions=DIMENSION_CAPTIONS,
        label=labeller(result),
        figures=figures,
        min_group=MIN_GROUP,
        kind_labels=KIND_LABELS,
        args=request.args,
        reach_charts=reach_charts(reach),
        sweden=sweden,
        body_kind_labels=BODY_KIND_LABELS,
    ), 422 if errors else 200


@bp.route("/impact.csv")
@login_required
def report_csv() -> ResponseReturnValue:
    filters, errors = _filters()
    result = impact_report(
        current_organiser(), ImpactFilters(filters.events) if errors else filters
    )
    headers = [_("Breakdown"), _("Group"), *[str(STAGE_LABELS[s]) for s in STAGES]]
    table: list[list] = [[_("All"), _("People"), *figures(result.people)]]
    table.append([_("All"), _("Organisations"), *figures(result.organisations)])
    label = labeller(result)
    for dimension, groups in result.breakdowns.items():
        for value, funnel in groups:
            table.append(
                [
                    str(DIMENSION_LABELS[dimension]),
                    label(dimension, value),
                    *figures(funnel),
                ]
            )
    sep = parse_separator(request.args.get("sep"))
    return download(to_csv(headers, table, sep), "impact.csv", "text/csv")


def _worklist_rows(sweden: SwedenReach, invited_only: bool) -> list[list]:
    return [
        [
            row.body.name,
            str(BODY_KIND_LABELS[row.body.kind]),
            row.body.code,
            row.body.org_number or "",
            row.body.county,
            row.invited_at.date().isoformat() if row.invited_at else "",
        ]
        for row in sweden.worklist
        if row.invited_at or not invited_only
    ]


def _worklist() -> tuple[SwedenReach, bool, dict[str, str]]:
    filters, errors = _filters()
    scope, campaign_scope = _reach_scopes(ImpactFilters(filters.events) if errors else filters)
    return sweden_reach(scope, campaign_scope), request.args.get("invited") == "1", errors


WORKLIST_HEADS = (
    _l("Name"), _l("Kind"), _l("Code"), _l("Organisation number"), _l("County"),
    _l("Invited by a campaign"),
)  # fmt: skip


@bp.route("/impact/worklist")
@login_required
def worklist() -> ResponseReturnValue:
    """Sweden's municipalities and regions that have not yet taken part in an event of the
    report's scope, those already invited by a campaign marked with the date; ?invited=1
    shows only those."""
    sweden, invited_only, errors = _worklist()
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "invited"}
    return render_template(
        "surveys/impact_worklist.html",
        sweden=sweden,
        rows=_worklist_rows(sweden, invited_only),
        heads=[str(h) for h in WORKLIST_HEADS],
        invited_only=invited_only,
        errors=errors,
        args=args,
    ), 422 if errors else 200


@bp.route("/impact/worklist.csv")
@login_required
def worklist_csv() -> ResponseReturnValue:
    sweden, invited_only, _errors = _worklist()
    sep = parse_separator(request.args.get("sep"))
    table = _worklist_rows(sweden, invited_only)
    return download(
        to_csv([str(h) for h in WORKLIST_HEADS], table, sep), "worklist.csv", "text/csv"
    )


@bp.route("/impact/worklist.xlsx")
@login_required
def worklist_xlsx() -> ResponseReturnValue:
    """The worklist as a spreadsheet, where the codes keep their leading zeros (0114): a
    spreadsheet program reads a CSV's "0114" as the number 114."""
    sweden, invited_only, _errors = _worklist()
    return download(
        to_xlsx(
            _("Worklist"), [str(h) for h in WORKLIST_HEADS], _worklist_rows(sweden, invited_only)
        ),
        "worklist.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
