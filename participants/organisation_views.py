"""The organisers' register of organisations, ``/manage/organisations`` (search by name or
number, 50 a page), and merging two records of one organisation: choose the record to merge
into, see both side by side, confirm (POST). The rules are participants.organisations'.

Every signed-in organiser may merge, not only admins: the register is shared by all events,
and the organiser who finds a duplicate in a list or a report is the one who knows it is one;
a merge keeps the merged record (merged_into_id, merged_at) and every registration's history.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from core.errors import ServiceError
from participants import organisations
from participants.forms import ConfirmForm
from participants.kinds import KIND_LABELS

bp = Blueprint("organisations", __name__, url_prefix="/manage/organisations")


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    q = request.args.get("q", "")
    found = organisations.search_organisations(
        q, organisations.parse_page(request.args.get("page"))
    )
    return render_template(
        "participants/organisations.html", found=found, q=q, kind_labels=KIND_LABELS
    )


@bp.route("/<string:loser_id>/merge")
@login_required
def choose(loser_id: str) -> ResponseReturnValue:
    loser = organisations.organisation_summary(organisations.parse_organisation_id(loser_id))
    q = request.args.get("q", "")
    found = organisations.search_organisations(
        q, organisations.parse_page(request.args.get("page")), exclude=loser.id
    )
    return render_template(
        "participants/organisation_choose.html",
        loser=loser,
        found=found,
        q=q,
        kind_labels=KIND_LABELS,
    )


@bp.route("/<string:loser_id>/merge/<string:survivor_id>", methods=["GET", "POST"])
@login_required
def merge(loser_id: str, survivor_id: str) -> ResponseReturnValue:
    loser_key = organisations.parse_organisation_id(loser_id)
    survivor_key = organisations.parse_organisation_id(survivor_id, "survivor")
    loser = organisations.organisation_summary(loser_key)
    survivor = organisations.organisation_summary(survivor_key)
    form = ConfirmForm()
    problem, status = None, 200
    try:
        organisations.check_merge(
            organisations.get_organisation(loser.id), organisations.get_organisation(survivor.id)
        )
    except ServiceError as err:
        problem, status = str(err.message), err.status
    if request.method == "POST" and problem is None:
        if form.validate_on_submit():
            try:
                organisations.merge_organisations(loser.id, survivor.id)
            except ServiceError as err:
                problem, status = str(err.message), err.status
            else:
                flash(
                    _("%(loser)s was merged into %(survivor)s.", loser=loser.name,
                      survivor=survivor.name),
                    "success",
                )  # fmt: skip
                return redirect(url_for("organisations.index", q=survivor.name))
        else:
            problem, status = _("The form has expired. Please send it again."), 400
    return render_template(
        "participants/organisation_merge.html",
        loser=loser,
        survivor=survivor,
        form=form,
        problem=problem,
        kind_labels=KIND_LABELS,
    ), status
