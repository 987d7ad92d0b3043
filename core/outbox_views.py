"""The organiser page of the outbox: counts, recent messages, and retrying failed ones.

Administrators only: the outbox holds every event's recipients, while an organiser sees only
the events they manage.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.db import db
from core.i18n import format_clock, format_short_day
from core.mail_render import RenderError
from core.models import OUTBOX_STATUSES, OutboxMessage
from core.outbox import PERMANENT_FAILURES, rendered
from core.outbox_admin import outbox_counts, recent_messages, retry_failed

bp = Blueprint("outbox", __name__, url_prefix="/manage/outbox")

STATUS_LABELS = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}


@bp.before_request
@login_required
def admins_only() -> None:
    if not current_user.is_admin:
        abort(403)


def _local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    return f"{format_short_day(local)} {format_clock(local)}"


@bp.route("")
def index():
    status = request.args.get("status") or None
    if status not in (None, *OUTBOX_STATUSES):
        status = None
    return render_template(
        "core/outbox.html",
        counts=outbox_counts(),
        messages=recent_messages(status),
        status=status,
        statuses=OUTBOX_STATUSES,
        labels=STATUS_LABELS,
        reasons=PERMANENT_FAILURES,
        local_time=_local_time,
    )


@bp.route("/<int:message_id>")
def show(message_id: int):
    """One message: what went out once sent; before that, what will go out, rendered from its
    snapshot by the worker's own function."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    content, error = None, None
    try:
        content = rendered(message)
    except RenderError as err:
        error = str(err)
    return render_template(
        "core/outbox_message.html",
        message=message,
        content=content,
        render_error=error,
        labels=STATUS_LABELS,
        reasons=PERMANENT_FAILURES,
        local_time=_local_time,
    )


@bp.route("/<int:message_id>/retry", methods=["POST"])
def retry(message_id: int):
    if retry_failed([message_id]):
        flash(_("The message is queued and will be sent again."), "success")
    else:
        flash(_("Only a failed message can be retried."), "error")
    return redirect(url_for("outbox.index", status=request.form.get("status") or None))


@bp.route("/retry-failed", methods=["POST"])
def retry_all():
    count = retry_failed()
    flash(_("%(count)s failed messages are queued again.", count=count), "success")
    return redirect(url_for("outbox.index"))
