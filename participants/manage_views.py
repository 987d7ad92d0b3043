"""Organisers' registration management (HTML): the list with its filters, confirming and
cancelling for someone, adding a person, exports and the caterer's counts. Messages to the
registrants are participants/mailing_views.py; check-in at the door participants/checkin_views.py.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from core.audit import record_now
from core.errors import ServiceError, ValidationError
from core.filters import filters_with_notices
from core.pages import csrf_failed, current_organiser, download, put_errors
from core.spreadsheets import parse_separator
from events import queries as event_queries
from events.models import Event, local
from participants import dashboard, details, exports, queries, seats, services
from participants.forms import (
    AddPersonForm,
    ConfirmForm,
)
from participants.labels import template_labels
from participants.models import REGISTRATION_STATUSES
from participants.parsing import registration_ids

manage_bp = Blueprint("participants_manage", __name__, url_prefix="/manage")
manage_bp.context_processor(template_labels)


@manage_bp.app_context_processor
def _dashboard_helpers() -> dict[str, Any]:
    """event_dashboard(events) for /manage/ (events' page; templates/participants/
    _dashboard.html): events know nothing of registrations, so the dashboard is ours."""
    return {"event_dashboard": dashboard.dashboard, "event_local": local}


def _event(slug: str) -> Event:
    return event_queries.get_managed_event(current_organiser(), slug)


def _filter_args() -> dict[str, str]:
    """The list filters of the address that are kept in links: known names, valid values."""
    args = {k: request.args[k] for k in queries.FILTER_KEYS if request.args.get(k)}
    try:
        queries.RegistrationFilters.parse(args)
    except ValidationError as err:
        args = {k: v for k, v in args.items() if k not in err.fields}
    return args


def _list_filters() -> queries.RegistrationFilters:
    """The list's filters, validated by the same function as the API's; an unknown value is
    not applied and the page says so (core.filters)."""
    filters, notices = filters_with_notices(queries.RegistrationFilters.parse, request.args)
    for notice in notices:
        flash(notice, "error")
    return filters


def _export_filters() -> queries.RegistrationFilters:
    """An export's filters: an unknown value is refused (422), never widened to everyone, so
    a file never holds more people than the organiser asked for."""
    try:
        return queries.RegistrationFilters.parse(request.args)
    except ValidationError as err:
        raise ValidationError(
            err.fields,
            _(
                "A filter has an unknown value, so nothing was exported: %(why)s",
                why=" ".join(str(m) for m in err.fields.values()),
            ),
        ) from None


@manage_bp.route("/events/<slug>/registrations")
@login_required
def registrations(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    filters = _list_filters()
    page = render_template(
        "participants/manage_registrations.html",
        event=event,
        registrations=queries.list_registrations(event, filters),
        filters=filters,
        filter_args=_filter_args(),
        counts=queries.counts(event),
        positions=seats.waitlist_positions(event),
        seats_left=seats.seats_left(event),
        statuses=REGISTRATION_STATUSES,
        form=ConfirmForm(),
        chosen_ids=set(),
    )
    record_now("registrations_viewed", event_id=event.id, subject=f"event:{event.id}")
    return page


def _chosen_ids() -> list[int]:
    """The registration ids ticked in the list (`id`, repeated); what is not a number is
    left out."""
    return sorted(registration_ids(request.form.getlist("id")))


@manage_bp.route("/events/<slug>/registrations/bulk", methods=["POST"])
@login_required
def bulk(slug: str) -> ResponseReturnValue:
    """The list's bulk actions on the ticked people: check in, a place from the waiting list
    (only where seats exist), or email them (the message page with their ids)."""
    event = _event(slug)
    back = redirect(url_for(".registrations", slug=slug, **_filter_args()))
    if not ConfirmForm().validate():
        flash(_("The form has expired. Please send it again."), "error")
        return back
    ids = _chosen_ids()
    action = request.form.get("action")
    if action not in ("checkin", "promote", "email"):
        flash(_("Choose what to do with the chosen people."), "error")
        return back
    if not ids:
        flash(_("Tick at least one person in the table first."), "error")
        return back
    if action == "email":
        return redirect(url_for("participants_mailings.compose", slug=slug, id=ids))
    if action == "checkin":
        result = details.check_in_many(event, ids)
        if result.done:
            flash(
                ngettext(
                    "%(num)s person is checked in.",
                    "%(num)s people are checked in.",
                    len(result.done),
                ),
                "success",
            )
        if result.not_done:
            flash(
                ngettext(
                    "%(num)s person was not checked in: only confirmed people can be.",
                    "%(num)s people were not checked in: only confirmed people can be.",
                    len(result.not_done),
                ),
                "error",
            )
        return back
    result = details.promote_many(event, ids)
    flash(
        ngettext(
            "%(num)s person moved off the waiting list.",
            "%(num)s people moved off the waiting list.",
            len(result.done),
        ),
        "success" if result.done else "info",
    )
    if result.not_done:
        flash(
            ngettext(
                "%(num)s person could not move: there is no free seat for them.",
                "%(num)s people could not move: there is no free seat for them.",
                len(result.not_done),
            )
            + " "
            + ", ".join(result.not_done),
            "error",
        )
    return back


@manage_bp.route("/events/<slug>/registrations/<int:registration_id>/confirm", methods=["POST"])
@login_required
def confirm(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    registration = queries.get_event_registration(event, registration_id)
    if ConfirmForm().validate():
        try:
            services.confirm_from_waitlist(registration)
        except ServiceError as err:
            flash(str(err.message), "error")
        else:
            flash(_("%(name)s now has a place.", name=registration.name), "success")
    return redirect(url_for(".registrations", slug=slug, **_filter_args()))


@manage_bp.route(
    "/events/<slug>/registrations/<int:registration_id>/cancel", methods=["GET", "POST"]
)
@login_required
def cancel_for(slug: str, registration_id: int) -> ResponseReturnValue:
    event = _event(slug)
    registration = queries.get_event_registration(event, registration_id)
    form = ConfirmForm()
    if request.method == "POST" and registration.status != "cancelled" and form.validate():
        services.cancel(registration, by_organiser=True)
        flash(_("The registration of %(name)s is cancelled.", name=registration.name), "success")
        return redirect(url_for(".registrations", slug=slug, **_filter_args()))
    return render_template(
        "participants/manage_cancel.html",
        event=event,
        registration=registration,
        form=form,
        filter_args=_filter_args(),
    )


@manage_bp.route("/events/<slug>/registrations/new", methods=["GET", "POST"])
@login_required
def add(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    form = AddPersonForm()
    status = 200
    general: list[str] = []
    if request.method == "GET":
        form.language.data = event.language
    elif not form.validate():
        status, general = 400, csrf_failed(form)
    else:
        try:
            registration = services.register(event, form.as_service_data(), by_organiser=True)
        except ValidationError as err:
            status, general = 422, put_errors(form, err.fields)
        except ServiceError as err:
            status, general = err.status, [str(err.message)]
        else:
            if registration.status == "confirmed":
                flash(_("%(name)s is registered.", name=registration.name), "success")
            else:
                flash(
                    _(
                        "%(name)s is on the waiting list: %(why)s",
                        name=registration.name,
                        why=seats.FULL_MESSAGES.get(registration.full_reason or "", ""),
                    ),
                    "info",
                )
            return redirect(url_for(".registrations", slug=slug))
    return (
        render_template(
            "participants/manage_add.html",
            event=event,
            form=form,
            places_left=seats.session_places_left(event),
            chosen={str(v) for v in form.sessions.data or []},
            general_errors=general,
        ),
        status,
    )


@manage_bp.route("/events/<slug>/registrations.csv")
@login_required
def export_csv(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    filters = _export_filters()
    sep = parse_separator(request.args.get("sep"))
    body = exports.registrations_csv(event, filters, sep)
    _exported(event, "registrations_csv")
    return download(body, f"{event.slug}-registrations.csv", "text/csv")


@manage_bp.route("/events/<slug>/registrations.xlsx")
@login_required
def export_xlsx(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    filters = _export_filters()
    body = exports.registrations_xlsx(event, filters)
    _exported(event, "registrations_xlsx")
    return download(
        body,
        f"{event.slug}-registrations.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@manage_bp.route("/events/<slug>/catering")
@login_required
def catering(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    return render_template(
        "participants/catering.html", event=event, summary=queries.needs_summary(event)
    )


@manage_bp.route("/events/<slug>/catering.csv")
@login_required
def catering_csv(slug: str) -> ResponseReturnValue:
    event = _event(slug)
    sep = parse_separator(request.args.get("sep"))
    body = exports.catering_csv(event, sep)
    _exported(event, "catering_csv")
    return download(body, f"{event.slug}-catering.csv", "text/csv")


def _exported(event: Event, what: str) -> None:
    """The audit log's entry of a file made: its format and whether the list's filters
    narrowed it (which filters, by name; a search may hold a name, so never the values)."""
    narrowed = sorted(k for k in queries.FILTER_KEYS if request.args.get(k))
    record_now(
        "registrations_exported",
        event_id=event.id,
        subject=f"event:{event.id}",
        detail={"format": what, "filters": narrowed},
    )
