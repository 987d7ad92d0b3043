"""The organiser's page for duplicating an event (HTML): a form prefilled with the source's
start, zone, place and language; sending it makes a draft copy (events.duplicate) and opens
the copy's manage page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from core.db import db
from core.errors import ServiceError
from core.pages import current_organiser, put_errors
from events import duplicate, labels, queries
from events.forms import DuplicateForm, timezone_choices
from events.models import Event

bp = Blueprint("events_duplicate", __name__, url_prefix="/manage")
bp.context_processor(labels.template_labels)

_FORM_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
_FIELD_NAMES = {
    "venue": "venue_name",
    "venue.name": "venue_name",
    "venue.address": "venue_address",
    "venue.city": "venue_city",
    "venue.country": "venue_country",
}
_ORDER = [
    "title",
    "language",
    "timezone",
    "starts_at",
    "format",
    "venue_name",
    "venue_address",
    "venue_city",
    "venue_country",
    "online_url",
]


def _fill(form: DuplicateForm, event: Event) -> None:
    form.language.data = event.language
    form.timezone.data = event.timezone
    form.starts_at.data = duplicate.source_start(event).strftime(_FORM_FORMAT)
    form.format.data = event.format
    form.venue_name.data = event.venue_name
    form.venue_address.data = event.venue_address
    form.venue_city.data = event.venue_city
    form.venue_country.data = event.venue_country
    form.online_url.data = event.online_url


def _data(form: DuplicateForm) -> dict[str, Any]:
    """The form as the dict duplicate_event (and the JSON API) take."""
    return {
        "title": (form.title.data or "").strip(),
        "language": form.language.data,
        "timezone": (form.timezone.data or "").strip(),
        "starts_at": form.starts_at.data or "",
        "format": form.format.data,
        "venue": {
            "name": form.venue_name.data or "",
            "address": form.venue_address.data or "",
            "city": form.venue_city.data or "",
            "country": form.venue_country.data or "",
        },
        "online_url": form.online_url.data or "",
    }


@bp.route("/events/<slug>/duplicate", methods=["GET", "POST"])
@login_required
def duplicate_event(slug: str) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    form = DuplicateForm()
    general: list[str] = []
    status = 200
    if request.method == "GET":
        _fill(form, event)
    elif form.validate_on_submit():
        try:
            copy = duplicate.duplicate_event(current_organiser(), event, _data(form))
        except ServiceError as err:
            db.session.rollback()
            fields = dict(err.fields)
            general = put_errors(form, fields, _FIELD_NAMES)
            if not fields:
                general.append(str(err.message))
            status = err.status if err.status != 400 else 422
        else:
            flash(
                _("A copy was made as a draft: check it and publish it when it is ready."),
                "success",
            )
            return redirect(url_for("events_manage.event", slug=copy.slug))
    else:
        status = 422
    form.timezone.choices = timezone_choices(form.timezone.data or event.timezone)
    return (
        render_template(
            "events/manage/duplicate.html",
            form=form,
            event=event,
            general_errors=general,
            order=_ORDER,
        ),
        status,
    )
