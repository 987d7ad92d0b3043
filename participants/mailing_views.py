"""The organisers' pages for messages to an event's registrants (participants.mailings): write
the message (who gets it, a subject and body per language, now or at a time), preview it (how
many people in which language, and the message each language receives), send a test copy to
oneself, then send or schedule it; and the list of the event's messages, with cancel for a
scheduled one.

The compose page works without script: every button posts the whole form back (action=preview,
test or send), so the preview is always of what the form holds. `?id=12&id=15` (the
registrations list's bulk action) writes to those people only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from core.errors import ServiceError, ValidationError
from core.pages import csrf_failed, current_organiser, put_errors
from events.labels import LANGUAGE_LABELS
from events.models import LANGUAGES, Event, local
from events.queries import get_managed_event
from participants import mailings
from participants.forms import ConfirmForm, MailingForm
from participants.labels import template_labels
from participants.parsing import registration_ids

bp = Blueprint("participants_mailings", __name__, url_prefix="/manage")
bp.context_processor(template_labels)

ACTIONS = ("preview", "test", "send")


def _field_names() -> dict[str, str]:
    """The service's field names -> the form's."""
    names = {f"audience.{k}": k for k in ("status", "target_group", "attended", "q")}
    names["audience.ids"] = "status"
    for lang in LANGUAGES:
        names[f"subjects.{lang}"] = f"subject_{lang}"
        names[f"bodies.{lang}"] = f"body_{lang}"
    return names


def _chosen_ids() -> list[int]:
    """The chosen registrations (?id=12&id=15, or the hidden fields of the form): only
    numbers; anything else is left out (the service checks them against the event)."""
    source = request.form if request.method == "POST" else request.args
    return registration_ids(source.getlist("id"))[: mailings.MAX_IDS]


def _languages(event: Event) -> list[str]:
    """The languages of the page's fieldsets: the event's first."""
    return [event.language, *(lang for lang in LANGUAGES if lang != event.language)]


def _people(n: int) -> str:
    return ngettext("%(num)s person", "%(num)s people", n)


@bp.route("/events/<slug>/message", methods=["GET", "POST"])
@login_required
def compose(slug: str) -> ResponseReturnValue:
    organiser = current_organiser()
    event = get_managed_event(organiser, slug)
    ids = _chosen_ids()
    form = MailingForm() if request.method == "POST" else MailingForm(formdata=request.args)
    status, general = 200, []
    shown: dict[str, Any] | None = None
    action = request.form.get("action") if request.method == "POST" else None
    audience: dict[str, Any] = {**form.filters(), **({"ids": ids} if ids else {})}
    if request.method == "POST":
        if action not in ACTIONS:
            action = "preview"
        if not form.validate():
            status, general = 400, csrf_failed(form)
        else:
            subjects, bodies = form.texts()
            when = form.send_at.data if form.when.data == "at" else None
            try:
                if action == "send":
                    mailing = mailings.create_mailing(
                        organiser, event, subjects, bodies, audience, when
                    )
                    flash(_sent_notice(event, mailing), "success")
                    return redirect(url_for(".list_mailings", slug=slug))
                if when is not None:  # a bad time is told at the preview, not only at sending
                    mailings.parse_send_at(event, when)
                shown = _preview(event, subjects, bodies, audience)
                if action == "test":  # a copy in each language the people receive
                    for lang in shown["messages"]:
                        mailings.test_send(organiser, event, subjects, bodies, lang)
                    flash(ngettext("%(num)s test copy is on its way to %(address)s.",
                                   "%(num)s test copies are on their way to %(address)s.",
                                   len(shown["messages"]), address=organiser.email),
                          "success")  # fmt: skip
            except ValidationError as err:
                status = 400
                general = put_errors(form, err.fields, _field_names())
                shown = None
    chosen = mailings.reach(event, {"ids": ids}).total if ids else None
    return (
        render_template(
            "participants/mailing_compose.html",
            event=event,
            form=form,
            ids=ids,
            chosen=chosen,
            languages=_languages(event),
            preview=shown,
            general_errors=general,
            zone=event.timezone,
            people=_people,
            LANGUAGE_LABELS=LANGUAGE_LABELS,
        ),
        status,
    )


def _preview(
    event: Event, subjects: dict[str, str], bodies: dict[str, str], audience: dict[str, Any]
) -> dict[str, Any]:
    """What the preview shows: the reach per received language, and the message in each."""
    texts = mailings.parse_texts(event, subjects, bodies)
    audience = mailings.parse_audience(audience)
    reached = mailings.reach(event, audience, texts.languages)
    shown_languages = list(reached.by_language) or [event.language]
    return {
        "reach": reached,
        "messages": mailings.previews(event, texts, shown_languages),
    }


def _sent_notice(event: Event, mailing: Any) -> str:
    if mailing.status == "sent":
        if not mailing.recipient_count:
            return _("No one matches the choice, so no message was sent.")
        return ngettext(
            "The message is queued for %(num)s person.",
            "The message is queued for %(num)s people.",
            mailing.recipient_count,
        )
    when = local(mailing.send_at, event)
    return _("The message will be sent on %(day)s at %(time)s (%(zone)s).",
             day=f"{when:%Y-%m-%d}", time=f"{when:%H:%M}", zone=event.timezone)  # fmt: skip


@bp.get("/events/<slug>/mailings")
@login_required
def list_mailings(slug: str) -> ResponseReturnValue:
    event = get_managed_event(current_organiser(), slug)
    made = mailings.event_mailings(event)
    pending = {
        m.id: mailings.reach(event, m.audience or {}).total for m in made if m.status == "scheduled"
    }
    return render_template(
        "participants/mailings.html",
        event=event,
        made=made,
        pending=pending,
        form=ConfirmForm(),
        LANGUAGE_LABELS=LANGUAGE_LABELS,
    )


@bp.post("/events/<slug>/mailings/<int:mailing_id>/cancel")
@login_required
def cancel(slug: str, mailing_id: int) -> ResponseReturnValue:
    organiser = current_organiser()
    event = get_managed_event(organiser, slug)
    form = ConfirmForm()
    if not form.validate():
        flash(_("The form has expired. Please send it again."), "error")
        return redirect(url_for(".list_mailings", slug=slug))
    try:
        mailings.cancel_mailing(organiser, event, mailing_id)
    except ServiceError as err:
        if err.status == 404:
            raise
        flash(str(err.message), "error")
    else:
        flash(_("The scheduled message is cancelled."), "success")
    return redirect(url_for(".list_mailings", slug=slug))
