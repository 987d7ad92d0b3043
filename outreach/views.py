"""The organisers' campaign pages: the event's campaigns with their progress and conversion
(/manage/events/<slug>/campaigns), and a new campaign (/new: the audience as checkboxes, a
preview of whom it reaches by target group and of the invitation in each language they read,
a test copy to oneself, then send now or at a time in the event's zone), cancel.

As participants.mailing_views: every button posts the whole form back (action=preview, test or
send), so the preview is always of what the form holds, and the page works without script."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from core.errors import ServiceError, ValidationError
from core.pages import csrf_failed, current_organiser, put_errors
from events.labels import LANGUAGE_LABELS, TARGET_GROUP_LABELS
from events.models import LANGUAGES, Event, local
from events.queries import get_managed_event
from outreach import audience as audiences
from outreach import campaigns
from outreach.forms import CampaignForm
from participants.forms import ConfirmForm
from participants.labels import template_labels

bp = Blueprint("outreach_campaigns", __name__, url_prefix="/manage")
bp.context_processor(template_labels)

ACTIONS = ("preview", "test", "send")


def _field_names() -> dict[str, str]:
    names = {f"audience.{k}": k for k in (*audiences.AUDIENCE_KEYS, "attended")}
    for lang in LANGUAGES:
        names[f"subjects.{lang}"] = f"subject_{lang}"
        names[f"bodies.{lang}"] = f"body_{lang}"
    return names


def _people(n: int) -> str:
    return ngettext("%(num)s person", "%(num)s people", n)


def _page(event: Event, form: CampaignForm, shown: Any, general: list[str], status: int) -> Any:
    return (
        render_template(
            "outreach/campaign_new.html",
            event=event,
            form=form,
            preview=shown,
            general_errors=general,
            zone=event.timezone,
            people=_people,
            languages=[event.language, *(lang for lang in LANGUAGES if lang != event.language)],
            LANGUAGE_LABELS=LANGUAGE_LABELS,
            TARGET_GROUP_LABELS=TARGET_GROUP_LABELS,
        ),
        status,
    )


@bp.route("/events/<slug>/campaigns/new", methods=["GET", "POST"])
@login_required
def new_campaign(slug: str) -> ResponseReturnValue:
    organiser = current_organiser()
    event = get_managed_event(organiser, slug)
    form = CampaignForm()
    if request.method == "GET":
        return _page(event, form, None, [], 200)
    if not form.validate():
        return _page(event, form, None, csrf_failed(form), 400)
    action = request.form.get("action")
    action = action if action in ACTIONS else "preview"
    subjects, bodies = form.texts()
    when = form.send_at.data if form.when.data == "at" else None
    try:
        if action == "send":
            campaign = campaigns.create_campaign(
                organiser, event, form.audience(), when, subjects, bodies
            )
            flash(_sent_notice(event, campaign), "success")
            return redirect(url_for(".campaigns_of_event", slug=slug))
        campaigns.ensure_invitable(event)
        if when is not None:  # a bad time is told at the preview, not only at sending
            campaigns.parse_send_at(event, when)
        shown = _preview(event, form.audience(), subjects, bodies)
        if action == "test":
            campaigns.test_send(organiser, event, shown["texts"], list(shown["messages"]))
            flash(ngettext("%(num)s test copy is on its way to %(address)s.",
                           "%(num)s test copies are on their way to %(address)s.",
                           len(shown["messages"]), address=organiser.email),
                  "success")  # fmt: skip
    except ValidationError as err:
        return _page(event, form, None, put_errors(form, err.fields, _field_names()), 400)
    except ServiceError as err:
        if err.status == 404:
            raise
        return _page(event, form, None, [str(err.message)], err.status)
    return _page(event, form, shown, [], 200)


def _preview(
    event: Event, audience: dict[str, Any], subjects: dict[str, str], bodies: dict[str, str]
) -> dict[str, Any]:
    """Whom it reaches (people and organisations by target group) and the invitation in each
    language they read."""
    parsed = audiences.parse_audience(audience)
    texts = campaigns.parse_texts(subjects, bodies)
    reached = audiences.reach(event, parsed)
    return {
        "reach": reached,
        "texts": texts,
        "messages": {
            lang: campaigns.preview(event, texts, lang)
            for lang in campaigns.preview_languages(event, reached)
        },
    }


def _sent_notice(event: Event, campaign: Any) -> str:
    if campaign.send_at <= campaign.created_at:
        return _("The invitations are on their way; the list shows how far they have got.")
    when = local(campaign.send_at, event)
    return _("The invitations will be sent on %(day)s at %(time)s (%(zone)s).",
             day=f"{when:%Y-%m-%d}", time=f"{when:%H:%M}", zone=event.timezone)  # fmt: skip


@bp.get("/events/<slug>/campaigns")
@login_required
def campaigns_of_event(slug: str) -> ResponseReturnValue:
    event = get_managed_event(current_organiser(), slug)
    made = campaigns.event_campaigns(event)
    return render_template(
        "outreach/campaigns.html",
        event=event,
        made=[(c, campaigns.progress(c)) for c in made],
        form=ConfirmForm(),
        TARGET_GROUP_LABELS=TARGET_GROUP_LABELS,
    )


@bp.post("/events/<slug>/campaigns/<int:campaign_id>/cancel")
@login_required
def cancel(slug: str, campaign_id: int) -> ResponseReturnValue:
    organiser = current_organiser()
    event = get_managed_event(organiser, slug)
    if not ConfirmForm().validate():
        flash(_("The form has expired. Please send it again."), "error")
        return redirect(url_for(".campaigns_of_event", slug=slug))
    try:
        campaigns.cancel_campaign(organiser, event, campaign_id)
    except ServiceError as err:
        if err.status == 404:
            raise
        flash(str(err.message), "error")
    else:
        flash(_("The campaign is cancelled."), "success")
    return redirect(url_for(".campaigns_of_event", slug=slug))
