"""The organisers' page for sending materials to an event's people (materials/distribution.py):
the form with a preview of how many people each choice reaches, and the distributions made,
with their progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.widgets import DateTimeLocalInput

from core.errors import ValidationError
from core.pages import csrf_failed, current_organiser, download, put_errors
from events.labels import TARGET_GROUP_LABELS
from events.queries import get_managed_event
from materials import distribution, queries, stats
from materials.content import material_text
from materials.forms import Checkboxes

bp = Blueprint("material_distribution", __name__)


class DistributionForm(FlaskForm):
    materials = Checkboxes(_l("Materials to send"), choices=[])
    audience = RadioField(_l("Send to"), choices=[], default="attendees")
    target_groups = Checkboxes(
        _l("Only these target groups (none chosen: all)"),
        choices=list(TARGET_GROUP_LABELS.items()),
    )
    when = RadioField(
        _l("When"),
        choices=[
            ("event_end", _l("When the event ends")),
            ("now", _l("Now")),
            ("at", _l("At a time of my choosing")),
        ],
        default="event_end",
    )
    send_at = StringField(
        _l("Date and time (in the event's time zone)"), widget=DateTimeLocalInput()
    )

    def as_service_data(self) -> dict[str, Any]:
        when = self.when.data
        return {
            "materials": [int(i) for i in self.materials.data or [] if str(i).isdigit()],
            "audience": {"kind": self.audience.data, "target_groups": self.target_groups.data},
            "send_at": self.send_at.data if when == "at" else when,
        }


def _people(n: int) -> str:
    return ngettext("%(num)s person", "%(num)s people", n)


@bp.route("/manage/events/<slug>/distributions", methods=["GET", "POST"])
@login_required
def distributions(slug: str) -> ResponseReturnValue:
    organiser = current_organiser()
    event = get_managed_event(organiser, slug)
    form = DistributionForm()
    form.materials.choices = [
        (str(m.id), str(material_text(m, "title")))
        for m in queries.managed(organiser)
        if m.audience != "organisers"
    ]
    form.audience.choices = [
        ("attendees", _("Everyone who came (checked in): %(people)s",
                        people=_people(distribution.reach(event, "attendees", [])))),
        ("registrants", _("Everyone registered: %(people)s",
                          people=_people(distribution.reach(event, "registrants", [])))),
    ]  # fmt: skip
    status, errors = 200, []
    if form.is_submitted():
        if not form.validate():
            status, errors = 400, csrf_failed(form)
        else:
            try:
                distribution.create_distribution(organiser, event, form.as_service_data())
            except ValidationError as err:
                names = {"audience.target_groups": "target_groups"}
                status, errors = 422, put_errors(form, err.fields, names)
            else:
                flash(_("The materials will be sent."), "success")
                return redirect(url_for(".distributions", slug=slug))
    made = [(d, distribution.progress(d)) for d in distribution.event_distributions(event)]
    return (
        render_template(
            "materials/distributions.html",
            event=event,
            form=form,
            made=made,
            general_errors=errors,
        ),
        status,
    )


@bp.get("/manage/materials/statistics")
@login_required
def statistics() -> ResponseReturnValue:
    found = stats.downloads(current_organiser())
    return render_template(
        "materials/statistics.html", charts=stats.charts(found), total=len(found)
    )


@bp.get("/manage/materials/statistics.csv")
@login_required
def statistics_csv() -> ResponseReturnValue:
    body = stats.csv_text(stats.downloads(current_organiser()))
    return download(body, "material-downloads.csv", "text/csv")
