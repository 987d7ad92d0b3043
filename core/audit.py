"""The audit log of organisers' actions on personal data: who opened, exported, checked in,
edited, erased or mailed whom, and when. Entries are written and never changed; the privacy
purge deletes those older than RETENTION_AUDIT_MONTHS (privacy/retention.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from flask_login import current_user

from core.db import db, write_transaction
from core.models import AuditEntry, Organiser

# What an entry may say was done. A new action is added here, with its label in
# core/audit_views.py, so the admin's page can name it in three languages.
ACTIONS = (
    "registrations_viewed",  # a list of an event's registrations
    "registration_viewed",  # one registration's page
    "registrations_exported",  # CSV, XLSX, catering counts, badges, attendance list, printouts
    "responses_exported",  # a non-anonymous survey's responses as CSV or XLSX
    "checked_in",
    "check_in_undone",
    "registration_edited",
    "registration_added",
    "registration_cancelled",
    "mailing_sent",  # mass email queued or scheduled
    "erasure_approved",
    "erasure_rejected",
    "person_data_viewed",  # an admin opened a person's data
)


def _actor(organiser: Organiser | None) -> Organiser | None:
    if organiser is not None:
        return organiser
    # The API's bearer token (core.operations sets g.organiser); else the signed-in page user.
    if has_app_context() and getattr(g, "organiser", None) is not None:
        return g.organiser
    try:
        return current_user if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # no request, or no login manager (the worker)
        return None


def record(
    action: str,
    *,
    event_id: int | None = None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
    organiser: Organiser | None = None,
) -> AuditEntry:
    """An entry in the caller's transaction, so it is written with the change it records (or
    not at all). subject names what was touched by id ("registration:12"), never by name."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    who = _actor(organiser)
    entry = AuditEntry(
        action=action,
        event_id=event_id,
        subject=subject[:80],
        detail=detail or {},
        organiser_id=who.id if who is not None else None,
        organiser_name=who.name if who is not None else "",
    )
    db.session.add(entry)
    return entry


def record_now(action: str, **kwargs: Any) -> None:
    """An entry for something that changes nothing else (opening a page, an export), written
    and committed at once in its own transaction."""
    with write_transaction():
        record(action, **kwargs)
        db.session.commit()


def purge_audit_log(before: datetime, *, dry_run: bool = False) -> int:
    """Delete (or with dry_run count) the entries older than before; the caller commits."""
    older = AuditEntry.at < before
    if dry_run:
        return db.session.scalar(sa.select(sa.func.count()).where(older)) or 0
    return db.session.execute(sa.delete(AuditEntry).where(older)).rowcount


# --- reading the log (the admins' page, core/audit_views.py) -----------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the admins' page narrows the log to; None is no filter. Days are whole days in
    the site's zone, from `since` (inclusive) to `until` (exclusive), as UTC moments."""

    action: str | None = None
    organiser_id: int | None = None
    event_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilters) -> sa.Select:
    """The entries that match, newest first (ties by id, so pages never overlap)."""
    query = sa.select(AuditEntry)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.organiser_id is not None:
        query = query.where(AuditEntry.organiser_id == filters.organiser_id)
    if filters.event_id is not None:
        query = query.where(AuditEntry.event_id == filters.event_id)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def audit_organisers() -> list[tuple[int, str]]:
    """(id, name) of everyone who has an entry, for the page's filter; by name."""
    rows = db.session.execute(
        sa.select(AuditEntry.organiser_id, sa.func.max(AuditEntry.organiser_name))
        .where(AuditEntry.organiser_id.is_not(None))
        .group_by(AuditEntry.organiser_id)
    ).all()
    return sorted(((i, name) for i, name in rows), key=lambda row: (row[1].casefold(), row[0]))


# Events are a feature above core: the events package registers how an id is named (its
# title), so the page can show more than a number. An entry outlives its event: then no name.
EventTitles = Callable[[Iterable[int]], dict[int, str]]
_EVENT_TITLES: list[EventTitles] = []


def register_event_titles(hook: EventTitles) -> EventTitles:
    if hook not in _EVENT_TITLES:
        _EVENT_TITLES.append(hook)
    return hook


def event_titles(ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    found: dict[int, str] = {}
    for hook in _EVENT_TITLES:
        if wanted:
            found.update(hook(wanted))
    return found


@sa.event.listens_for(AuditEntry, "before_update")
@sa.event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper: Any, _connection: Any, entry: AuditEntry) -> None:
    raise RuntimeError(f"audit entry {entry.id} cannot be changed or deleted one by one")
