"""Organisers' event management (HTML): their events, the event form, publishing, cancelling,
deleting a draft. The agenda's sessions are events/session_views.py, on the same blueprint.

Views are thin: they turn the form into the same dict the JSON API takes, call
events.services, and put the service's field messages back next to the fields.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from core.db import db, utcnow
from core.errors import ServiceError
from core.pages import current_organiser, put_errors
from events import changes, queries, services
from events.change_preview import notice_items, render_change_preview
from events.forms import (
    TRANSLATION_FIELD_NAMES,
    ConfirmForm,
    EventForm,
    local_text,
    timezone_choices,
)
from events.manage_blueprint import manage_bp
from events.models import TARGET_GROUPS, Event

# --- management: form <-> the service's dict ---------------------------------------------------


def _groups_from_request() -> dict[str, dict[str, Any]]:
    return {
        code: {
            "checked": bool(request.form.get(f"target_group_{code}")),
            "quota": request.form.get(f"quota_{code}", "").strip(),
        }
        for code in TARGET_GROUPS
    }


def _groups_from_event(event: Event | None) -> dict[str, dict[str, Any]]:
    if event is None:  # a new event is open to every group until narrowed
        return {code: {"checked": True, "quota": ""} for code in TARGET_GROUPS}
    quotas = {tg.code: tg.quota for tg in event.target_groups}
    return {
        code: {
            "checked": code in quotas,
            "quota": "" if quotas.get(code) is None else str(quotas[code]),
        }
        for code in TARGET_GROUPS
    }


def _split_emails(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def _own_language(event: Event | None) -> str:
    """The language whose text is in the form's own title and description: the event's as it
    is stored (a new event's default, Swedish), so the same fieldsets come back with errors."""
    return event.language if event is not None else "sv"


def event_form_data(
    form: EventForm, groups: dict[str, dict[str, Any]], own: str = "sv"
) -> dict[str, Any]:
    """The form as the dict events.services (and the JSON API) take; `own` is the language
    whose fieldset the form does not show (_own_language)."""
    ticked = [
        {"code": code, "quota": state["quota"] or None}
        for code, state in groups.items()
        if state["checked"]
    ]
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "translations": form.translations_data(own),
        "kind": form.kind.data,
        "format": form.format.data,
        "language": form.language.data,
        "timezone": (form.timezone.data or "").strip(),
        "starts_at": form.starts_at.data or "",
        "ends_at": form.ends_at.data or "",
        "venue": {
            "name": form.venue_name.data or "",
            "address": form.venue_address.data or "",
            "city": form.venue_city.data or "",
            "country": form.venue_country.data or "",
        },
        "online_url": form.online_url.data or "",
        "capacity": (form.capacity.data or "").strip() or None,
        "registration_opens_at": form.registration_opens_at.data or None,
        "registration_closes_at": form.registration_closes_at.data or None,
        # None ticked means open to every group, as when an event is created without a choice.
        "target_groups": ticked or [{"code": code, "quota": None} for code in TARGET_GROUPS],
        "co_organisers": _split_emails(form.co_organisers.data),
        "send_reminder": bool(form.send_reminder.data),
    }


def _fill_event_form(form: EventForm, event: Event) -> None:
    tz = event.timezone
    form.title.data = event.title
    form.description.data = event.description
    form.fill_translations(event.translations)
    form.kind.data = event.kind
    form.format.data = event.format
    form.language.data = event.language
    form.timezone.data = tz
    form.starts_at.data = local_text(event.starts_at, tz)
    form.ends_at.data = local_text(event.ends_at, tz)
    form.venue_name.data = event.venue_name
    form.venue_address.data = event.venue_address
    form.venue_city.data = event.venue_city
    form.venue_country.data = event.venue_country
    form.online_url.data = event.online_url
    form.capacity.data = "" if event.capacity is None else str(event.capacity)
    form.registration_opens_at.data = local_text(event.registration_opens_at, tz)
    form.registration_closes_at.data = local_text(event.registration_closes_at, tz)
    form.co_organisers.data = "\n".join(o.email for o in event.co_organisers)
    form.send_reminder.data = event.send_reminder


_EVENT_FIELD_NAMES = {
    **TRANSLATION_FIELD_NAMES,
    "venue": "venue_name",
    "venue.name": "venue_name",
    "venue.address": "venue_address",
    "venue.city": "venue_city",
    "venue.country": "venue_country",
}


def _render_event_form(
    form: EventForm,
    event: Event | None,
    groups: dict[str, dict[str, Any]],
    general_errors: list[str] | None = None,
    group_error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    form.timezone.choices = timezone_choices(form.timezone.data or (event and event.timezone))
    return (
        render_template(
            "events/manage/event_form.html",
            form=form,
            event=event,
            groups=groups,
            general_errors=general_errors or [],
            group_error=group_error,
            translation_fieldsets=form.translation_fieldsets(_own_language(event)),
        ),
        status,
    )


def _save_event(form: EventForm, event: Event | None) -> ResponseReturnValue:
    groups = _groups_from_request() if request.method == "POST" else _groups_from_event(event)
    if event is not None and request.method == "POST" and request.form.get("back"):
        # "Go back" from the check of a change: the form again with what was written.
        return _render_event_form(form, event, groups)
    if form.validate_on_submit():
        data = event_form_data(form, groups, _own_language(event))
        try:
            if event is None:
                event = services.create_event(current_organiser(), data)
                flash(_("The event was saved as a draft."), "success")
            else:
                if not request.form.get("confirmed"):
                    preview = changes.change_preview(event, data)
                    promotions = changes.promotions_preview(current_organiser(), event, data)
                    if preview.notifies or promotions.recipients:
                        # first show who will be emailed, and what
                        return render_change_preview(
                            event,
                            preview,
                            url_for("events_manage.edit_event", slug=event.slug),
                            promotions=promotions,
                        )
                services.update_event(current_organiser(), event, data)
                flash(_("The changes were saved."), "success")
        except ServiceError as err:
            db.session.rollback()
            fields = dict(err.fields)
            group_error = fields.pop("target_groups", None)
            general = put_errors(form, fields, _EVENT_FIELD_NAMES)
            if not fields and group_error is None:
                general.append(str(err.message))
            return _render_event_form(
                form,
                event,
                groups,
                general,
                str(group_error) if group_error else None,
                status=err.status if err.status != 400 else 422,
            )
        return redirect(url_for("events_manage.event", slug=event.slug))
    status = 422 if request.method == "POST" else 200  # only a missing CSRF token lands here
    return _render_event_form(form, event, groups, status=status)


# --- management pages ------------------------------------------------------------------------


@manage_bp.route("/", endpoint="index")
@login_required
def manage_index() -> ResponseReturnValue:
    return render_template(
        "events/manage/index.html",
        events=queries.organiser_events(current_organiser()),
        now=utcnow(),
    )


@manage_bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event() -> ResponseReturnValue:
    form = EventForm()
    return _save_event(form, None)


@manage_bp.route("/events/<slug>", endpoint="event")
@login_required
def event_page(slug: str) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    return render_template(
        "events/manage/event.html",
        event=event,
        form=ConfirmForm(),
        public_url=url_for("events.detail", slug=event.slug),
    )


@manage_bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_event(slug: str) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    form = EventForm()
    if request.method == "GET":
        _fill_event_form(form, event)
    return _save_event(form, event)


def _state_change(slug: str, change: Any, done: str) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            change(current_organiser(), event)
        except ServiceError as err:
            db.session.rollback()
            messages = [str(m) for m in err.fields.values()] or [str(err.message)]
            for message in messages:
                flash(message, "error")
            return redirect(url_for("events_manage.event", slug=slug))
        flash(done, "success")
    return redirect(url_for("events_manage.event", slug=slug))


@manage_bp.route("/events/<slug>/publish", methods=["POST"])
@login_required
def publish(slug: str) -> ResponseReturnValue:
    return _state_change(slug, services.publish_event, _("The event is published."))


@manage_bp.route("/events/<slug>/cancel", methods=["GET", "POST"])
@login_required
def cancel(slug: str) -> ResponseReturnValue:
    if request.method == "POST":
        return _state_change(slug, services.cancel_event, _("The event is cancelled."))
    event = queries.get_managed_event(current_organiser(), slug)
    audience = changes.audience(event)
    return render_template(
        "events/manage/confirm_cancel.html",
        event=event,
        audience=audience,
        notice_items=notice_items(
            audience, lambda lang, name, link: changes.cancel_notice(event, lang, name, link)
        ),
        form=ConfirmForm(),
    )


@manage_bp.route("/events/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete(slug: str) -> ResponseReturnValue:
    event = queries.get_managed_event(current_organiser(), slug)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        title = event.title
        try:
            services.delete_draft(current_organiser(), event)
        except ServiceError as err:
            db.session.rollback()
            for message in [str(m) for m in err.fields.values()] or [str(err.message)]:
                flash(message, "error")
            return redirect(url_for("events_manage.event", slug=slug))
        flash(_("The draft %(title)s was deleted.", title=title), "success")
        return redirect(url_for("events_manage.index"))
    return render_template("events/manage/confirm_delete.html", event=event, form=form)
