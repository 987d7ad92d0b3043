"""The audit log of organisers' actions on personal data: who opened, exported, checked in,
edited, erased or mailed whom, and when. Entries are written and never changed; the privacy
purge deletes those older than RETENTION_AUDIT_MONTHS (privacy/retention.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import current_user

from core.db import db, write_transaction
from core.models import AuditEntry, Organiser

# What an entry may say was done. A new action is added here, with its label in
# core/audit_views.py, so the admin's page can name it in three languages.
ACTIONS = (
    "registrations_viewed",  # a list of an event's registrations
    "registration_viewed",  # one registration's page
    "registrations_exported",  # CSV, XLSX, badges, attendance list
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


@sa.event.listens_for(AuditEntry, "before_update")
@sa.event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper: Any, _connection: Any, entry: AuditEntry) -> None:
    raise RuntimeError(f"audit entry {entry.id} cannot be changed or deleted one by one")
