"""The person's side of a campaign: the personal link /i/<token> (recorded as opened, then the
event's registration form filled in with what we know, for them to check), the link that
withdraws the consent (/i/<token>/withdraw: a page to confirm, a POST that records it), and the
same withdrawal from the person's own registration page (/r/<token>/invitations/withdraw).

Participants may not import outreach, so this module answers participants' hooks: the form's
prefill, the conversion after a registration from that form, the note on the manage page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _

from core.extensions import csrf, limiter, public_limit
from core.pages import csrf_failed, one_click
from events.models import Event
from outreach import campaigns
from participants import hooks, queries
from participants.forms import ConfirmForm
from participants.models import Registration

bp = Blueprint("outreach_invitations", __name__)


@bp.get("/i/<token>")
def open_invitation(token: str) -> ResponseReturnValue:
    recipient = campaigns.open_invitation(token)
    event = recipient.campaign.event
    return redirect(
        url_for("participants.register", slug=event.slug, invitation=token, lang=recipient.language)
    )


@bp.route("/i/<token>/withdraw", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
@csrf.exempt  # for one-click from the mail program; the page's own form checks its token
def withdraw(token: str) -> ResponseReturnValue:
    recipient = campaigns.recipient_by_token(token)
    if one_click():
        campaigns.withdraw(recipient.email, recipient.id)
        return "", 204
    with force_locale(recipient.language):
        return _withdraw_page(recipient.email, recipient.id, back=None)


@bp.route("/r/<token>/invitations/withdraw", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def withdraw_from_registration(token: str) -> ResponseReturnValue:
    registration = queries.get_registration(token)
    back = url_for("participants.manage", token=token)
    with force_locale(registration.language):
        return _withdraw_page(registration.email, None, back=back)


def _withdraw_page(email: str, recipient_id: int | None, back: str | None) -> ResponseReturnValue:
    form = ConfirmForm()
    status, general = 200, []
    if request.method == "POST":
        if form.validate():
            campaigns.withdraw(email, recipient_id)
            flash(_("Your consent is withdrawn. We send you no more invitations."), "success")
            return redirect(back or request.path)
        status, general = 400, csrf_failed(form)
    allowed, withdrawn_at = campaigns.consent_of(email)
    return (
        render_template(
            "outreach/withdraw.html",
            form=form,
            allowed=allowed,
            withdrawn_at=withdrawn_at,
            back=back,
            general_errors=general,
        ),
        status,
    )


# --- participants' hooks ----------------------------------------------------------------------


@hooks.register_prefill
def _prefill(event: Event, invitation: str) -> dict[str, Any] | None:
    return campaigns.prefill_for(event, invitation)


@hooks.registered_by_invitation.connect
def _converted(registration_id: int, invitation: str = "", event_id: int = 0, **_: Any) -> None:
    campaigns.record_conversion(registration_id, invitation, event_id)


@hooks.register_consent_note
def _consent_note(registration: Registration) -> dict[str, Any] | None:
    allowed, withdrawn_at = campaigns.consent_of(registration.email)
    if not allowed and withdrawn_at is None:
        return None
    return {
        "consented": allowed,
        "withdrawn_at": withdrawn_at,
        "withdraw_url": url_for(
            "outreach_invitations.withdraw_from_registration", token=registration.token
        ),
    }
