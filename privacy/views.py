"""The privacy page (/privacy: what the law asks a controller to tell, with the retention
periods read from the settings) and an admin's form for an event's own periods."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import Field, StringField

from core.db import db, write_transaction
from events.models import Event
from privacy.retention import NEEDS_DAYS_RANGE, PERSONAL_MONTHS_RANGE, event_periods, site_periods

bp = Blueprint("privacy", __name__)


@bp.route("/privacy", endpoint="page")
def privacy_page() -> ResponseReturnValue:
    return render_template("privacy/privacy.html", periods=site_periods())


# --- an event's own retention periods (admins only) -------------------------------------------

WHOLE_NUMBER = re.compile(r"\d{1,4}")


class RetentionForm(FlaskForm):
    needs_kept_days = StringField(
        _l("Days that dietary and accessibility needs are kept after the event"),
        render_kw={"inputmode": "numeric"},
    )
    personal_data_kept_months = StringField(
        _l("Months that names, email addresses and roles are kept after the event"),
        render_kw={"inputmode": "numeric"},
    )


def _whole_number(field: Field, low: int, high: int, message: str) -> int | None:
    """The field's whole number within low..high, None when empty (the site's default);
    otherwise the message goes on the field and None comes back."""
    text = (field.data or "").strip()
    if not text:
        return None
    if not WHOLE_NUMBER.fullmatch(text) or not low <= int(text) <= high:
        field.errors = [message]
        return None
    return int(text)


def _admin_event(slug: str) -> Event:
    if not current_user.is_admin:
        abort(403)
    event = db.session.scalars(db.select(Event).where(Event.slug == slug)).one_or_none()
    if event is None:
        abort(404)
    return event


@bp.route("/manage/events/<slug>/retention", methods=["GET", "POST"], endpoint="event_retention")
@login_required
def event_retention(slug: str) -> ResponseReturnValue:
    event = _admin_event(slug)
    site = site_periods()
    form = RetentionForm()
    if form.validate_on_submit():
        needs = _whole_number(
            form.needs_kept_days, *NEEDS_DAYS_RANGE,
            _("Enter a whole number of days from 0 to 365, or leave it empty for the default."),
        )  # fmt: skip
        months = _whole_number(
            form.personal_data_kept_months, *PERSONAL_MONTHS_RANGE,
            _("Enter a whole number of months from 1 to 120, or leave it empty for the default."),
        )  # fmt: skip
        if not form.needs_kept_days.errors and not form.personal_data_kept_months.errors:
            with write_transaction():
                event = db.session.get(Event, event.id, with_for_update=True)
                event.needs_kept_days = needs
                event.personal_data_kept_months = months
                db.session.commit()
            flash(_("The retention periods of the event are saved."), "success")
            return redirect(url_for("events_manage.event", slug=event.slug))
    elif not form.is_submitted():
        form.needs_kept_days.data = (
            str(event.needs_kept_days) if event.needs_kept_days is not None else ""
        )
        form.personal_data_kept_months.data = (
            str(event.personal_data_kept_months)
            if event.personal_data_kept_months is not None
            else ""
        )
    status = (
        422
        if form.errors or form.needs_kept_days.errors or form.personal_data_kept_months.errors
        else 200
    )
    return render_template(
        "privacy/retention.html",
        event=event,
        form=form,
        site=site,
        periods=event_periods(event, site),
    ), status
