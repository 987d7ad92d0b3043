"""The admins' page of the audit log (/manage/audit): organisers' actions on personal data,
newest first, a page at a time, narrowed by action, organiser, event and days; and the same
entries as CSV (/manage/audit.csv) for whoever audits the project.

Administrators only, as the outbox: the log names every event's organisers and people (by id).
Times are shown in the site's zone (DEFAULT_TIMEZONE, Europe/Stockholm); a day filter is a
whole day there.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.audit import (
    ACTIONS,
    AuditFilters,
    audit_organisers,
    audit_query,
    event_titles,
)
from core.db import db
from core.errors import ValidationError
from core.i18n import format_clock, format_short_day
from core.models import AuditEntry
from core.pages import download
from core.spreadsheets import parse_separator, to_csv

bp = Blueprint("audit", __name__, url_prefix="/manage")

PER_PAGE = 50
# The filters the page's links keep (never all of request.args: RECIPES.md).
FILTER_NAMES = ("action", "organiser", "event", "from", "to")

ACTION_LABELS = {
    "registrations_viewed": _l("Opened a list of registrations"),
    "registration_viewed": _l("Opened a registration"),
    "registrations_exported": _l("Exported registrations"),
    "responses_exported": _l("Exported survey responses"),
    "checked_in": _l("Checked in"),
    "check_in_undone": _l("Undid a check-in"),
    "registration_edited": _l("Changed a registration"),
    "registration_added": _l("Added a person"),
    "registration_cancelled": _l("Cancelled for someone"),
    "mailing_sent": _l("Sent or scheduled a mass email"),
    "erasure_approved": _l("Approved an erasure request"),
    "erasure_rejected": _l("Rejected an erasure request"),
    "person_data_viewed": _l("Opened a person's data"),
}


@bp.before_request
@login_required
def admins_only() -> None:
    if not current_user.is_admin:
        abort(403)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def _day_start(day: date) -> datetime:
    """The UTC moment a day begins in the site's zone."""
    return datetime.combine(day, time(), _zone()).astimezone(UTC)


def _number(value: str) -> int | None:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) < 10:  # not "²", nor beyond an int
        return int(value)
    return None


def parse_filters(args: Any) -> AuditFilters:
    """The page's filters from the address; ValidationError naming each bad one (`action`,
    `organiser`, `event`, `from`, `to`, and `to` before `from`)."""
    errors: dict[str, Any] = {}
    found: dict[str, Any] = {}
    action = (args.get("action") or "").strip()
    if action:
        if action in ACTIONS:
            found["action"] = action
        else:
            errors["action"] = _l("Choose one of the actions.")
    for name, key in (("organiser", "organiser_id"), ("event", "event_id")):
        value = (args.get(name) or "").strip()
        if value:
            number = _number(value)
            if number is None:
                errors[name] = _l("Enter a number, such as 12.")
            else:
                found[key] = number
    days: dict[str, date] = {}
    for name in ("from", "to"):
        value = (args.get(name) or "").strip()
        if value:
            try:
                days[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = _l("Enter a date as 2027-03-31.")
    if "from" in days and "to" in days and days["from"] > days["to"]:
        errors["to"] = _l("The end date must not be before the start date.")
    if errors:
        raise ValidationError(errors)
    if "from" in days:
        found["since"] = _day_start(days["from"])
    if "to" in days:  # the whole of the last day
        found["until"] = _day_start(days["to"] + timedelta(days=1))
    return AuditFilters(**found)


def _page_filters() -> tuple[AuditFilters, dict[str, str], dict[str, str]]:
    """(what is applied, the errors by field, the valid filters to keep in links). A bad
    value is told next to its field and not applied; the others still are."""
    args = {name: request.args.get(name, "") for name in FILTER_NAMES}
    try:
        return parse_filters(args), {}, {k: v for k, v in args.items() if v}
    except ValidationError as err:
        errors = {name: str(message) for name, message in err.fields.items()}
        kept = {k: v for k, v in args.items() if v and k not in errors}
        return parse_filters(kept), errors, kept


def local_time(moment: datetime) -> str:
    local = moment.astimezone(_zone())
    return f"{format_short_day(local)} {format_clock(local)}"


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def who(entry: AuditEntry) -> str:
    if entry.organiser_name:
        return entry.organiser_name
    return _("No one signed in") if entry.organiser_id is None else f"#{entry.organiser_id}"


def event_name(entry: AuditEntry, titles: dict[int, str]) -> str:
    if entry.event_id is None:
        return ""
    title = titles.get(entry.event_id)
    return f"{title} (#{entry.event_id})" if title else f"#{entry.event_id}"


@bp.get("/audit")
def index() -> ResponseReturnValue:
    filters, errors, kept = _page_filters()
    page = request.args.get("page", "")
    number = _number(page) if page else 1
    pagination = db.paginate(
        audit_query(filters), page=max(number or 1, 1), per_page=PER_PAGE, error_out=False
    )
    titles = event_titles(e.event_id for e in pagination.items)
    return (
        render_template(
            "core/audit.html",
            pagination=pagination,
            entries=pagination.items,
            errors=errors,
            args={name: request.args.get(name, "") for name in FILTER_NAMES},
            kept=kept,
            filtered=filters != AuditFilters(),
            actions=ACTIONS,
            action_label=action_label,
            organisers=audit_organisers(),
            titles=titles,
            who=who,
            event_name=event_name,
            local_time=local_time,
        ),
        422 if errors else 200,
    )


def csv_headers() -> list[str]:
    return [
        _("Time"),
        _("Organiser"),
        _("Organiser id"),
        _("Action"),
        _("Action code"),
        _("Event"),
        _("Event id"),
        _("Concerns"),
        _("Details"),
    ]


def csv_row(entry: AuditEntry, titles: dict[int, str]) -> list[Any]:
    return [
        entry.at.astimezone(_zone()).strftime("%Y-%m-%d %H:%M:%S"),
        who(entry),
        entry.organiser_id if entry.organiser_id is not None else "",
        action_label(entry.action),
        entry.action,
        titles.get(entry.event_id, "") if entry.event_id is not None else "",
        entry.event_id if entry.event_id is not None else "",
        entry.subject,
        json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True),
    ]


@bp.get("/audit.csv")
def export_csv() -> ResponseReturnValue:
    """The filtered entries, every one (not a page): a bad filter is refused (422), never
    widened, so the file holds what was asked for."""
    args = {name: request.args.get(name, "") for name in FILTER_NAMES}
    filters = parse_filters(args)
    sep = parse_separator(request.args.get("sep"))
    entries = list(db.session.scalars(audit_query(filters)))
    titles = event_titles(e.event_id for e in entries)
    body = to_csv(csv_headers(), [csv_row(e, titles) for e in entries], sep)
    stamp = datetime.now(_zone()).strftime("%Y-%m-%d")
    return download(body, f"audit-log-{stamp}.csv", "text/csv")
