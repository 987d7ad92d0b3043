"""The rules for changing events: creating, editing (what raises the calendar SEQUENCE and who
is told), publishing, cancelling and deleting a draft. Parsing is events/parsing.py, reading
events/queries.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blinker import Namespace
from flask_babel import lazy_gettext as _l

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import Organiser
from events.facts import agenda_snapshot
from events.models import (
    Event,
    EventTargetGroup,
    Session,
)
from events.parsing import parse_event, slugify, unique_slug
from events.queries import require_manage

# Other features listen here instead of events importing them. Receivers run inside the
# transaction, before commit, so the mail they queue commits or rolls back with the change.
signals = Namespace()
# Time, place or agenda changed; sent with before={field: value} of _SCHEDULE_FIELDS as they
# were and agenda_before (events.facts.agenda_snapshot of the sessions as they were), so the
# notice can say what the time, place and sessions were.
event_rescheduled = signals.signal("event-rescheduled")
# Who a change of time or place would notify (events.changes.change_preview): participants
# answers {"confirmed": n, "waitlisted": n, "languages": {lang: n}} with a count query.
change_audience = signals.signal("change-audience")
event_cancelled = signals.signal("event-cancelled")
seats_added = signals.signal("seats-added")  # capacity or a quota rose: promote from waitlist
# Target groups newly admitted to an existing event (codes=[...]): their seats are counted.
groups_admitted = signals.signal("groups-admitted")
# flask demo-data made its events (events=[...]): participants add the demo's registrations.
demo_events_created = signals.signal("demo-events-created")

# What raises SEQUENCE in calendar files when it changes.
_SCHEDULE_FIELDS = (
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "venue_address",
    "venue_city",
    "venue_country",
    "online_url",
    "format",
)
SCHEDULE_FIELDS = _SCHEDULE_FIELDS  # events.changes reads the same list


def _changed(event: Event) -> None:
    """The public page's data changed: raise the version its cached copies are keyed on. An SQL
    expression, so a registration's bump in another transaction is never lost."""
    if event.id is not None:
        event.version = Event.version + 1


def _apply_target_groups(event: Event, groups: list[tuple[str, int | None]]) -> bool:
    """Replace the admitted groups; True when some quota rose or was lifted."""
    old = {tg.code: tg.quota for tg in event.target_groups}
    by_code = {tg.code: tg for tg in event.target_groups}
    raised = False
    keep = []
    for code, quota in groups:
        tg = by_code.get(code) or EventTargetGroup(code=code)
        if code in old and old[code] is not None and (quota is None or quota > old[code]):
            raised = True
        tg.quota = quota
        keep.append(tg)
    event.target_groups = keep
    return raised


def _apply_sessions(event: Event, sessions: list[dict[str, Any]]) -> tuple[bool, bool]:
    """Replace the agenda, keeping rows whose id is given. Returns (times changed, seats added)."""
    existing = {s.id: s for s in event.sessions}
    moved = raised = False
    keep = []
    for data in sessions:
        session = existing.get(data.pop("id", None)) if data.get("id") is not None else None
        if session is None:
            session = Session()
        else:
            moved |= session.starts_at != data["starts_at"] or session.ends_at != data["ends_at"]
            moved |= session.room != data["room"]
            old_cap = session.capacity
            raised |= old_cap is not None and (
                data["capacity"] is None or data["capacity"] > old_cap
            )
        for key, value in data.items():
            if key != "id":
                setattr(session, key, value)
        keep.append(session)
    moved |= len(keep) != len(existing) or any(s.id not in existing for s in keep)
    event.sessions = keep
    return moved, raised


@write_transaction()
def create_event(organiser: Organiser, data: Mapping[str, Any]) -> Event:
    parsed = parse_event(data, None)
    values = parsed.values
    status = values.pop("status", "draft")
    slug_wanted = data.get("slug") if isinstance(data.get("slug"), str) else None
    event = Event(
        slug=unique_slug(slugify(slug_wanted or values["title"])),
        created_by=organiser,
        status="draft",
        sequence=0,
        **values,
    )
    _apply_target_groups(event, parsed.target_groups or [])
    _apply_sessions(event, parsed.sessions or [])
    if parsed.co_organisers is not None:
        event.co_organisers = parsed.co_organisers
    db.session.add(event)
    if status == "published":
        event.status = "published"
        event.published_at = utcnow()
    db.session.commit()
    return event


@write_transaction()
def update_event(
    organiser: Organiser, event: Event, data: Mapping[str, Any], *, commit: bool = True
) -> Event:
    """Change the fields given. Time or place changes raise SEQUENCE and notify registrants.
    commit=False leaves the caller's write transaction open (a dry run rolls it back)."""
    require_manage(organiser, event)
    parsed = parse_event(data, event)
    _changed(event)
    values = parsed.values
    status = values.pop("status", None)
    before = {key: getattr(event, key) for key in _SCHEDULE_FIELDS}
    agenda_before = agenda_snapshot(event.sessions) if parsed.sessions is not None else None
    old_capacity = event.capacity
    for key, value in values.items():
        setattr(event, key, value)
    seats = old_capacity is not None and (event.capacity is None or event.capacity > old_capacity)
    admitted: list[str] = []
    if parsed.target_groups is not None:
        before_codes = set(event.target_group_codes)
        seats |= _apply_target_groups(event, parsed.target_groups)
        admitted = [code for code in event.target_group_codes if code not in before_codes]
    sessions_moved = False
    if parsed.sessions is not None:
        sessions_moved, raised = _apply_sessions(event, parsed.sessions)
        seats |= raised
    if parsed.co_organisers is not None:
        event.co_organisers = parsed.co_organisers
    rescheduled = sessions_moved or any(getattr(event, k) != v for k, v in before.items())
    if rescheduled:
        event.sequence += 1
    db.session.flush()
    if admitted:
        groups_admitted.send(event, codes=admitted)
    if status == "published" and event.status == "draft":
        publish_event(organiser, event, commit=False)
    elif status == "cancelled" and event.status != "cancelled":
        cancel_event(organiser, event, commit=False)
    elif status == "draft" and event.status != "draft":
        raise ValidationError({"status": _l("A published event cannot go back to draft.")})
    if rescheduled and event.status == "published":
        event_rescheduled.send(event, before=before, agenda_before=agenda_before)
    if seats and event.status == "published":
        seats_added.send(event)
    if commit:
        db.session.commit()
    return event


@write_transaction()
def publish_event(organiser: Organiser, event: Event, *, commit: bool = True) -> Event:
    require_manage(organiser, event)
    if event.status == "cancelled":
        raise ValidationError({"status": _l("A cancelled event cannot be published again.")})
    if event.status == "draft":
        event.status = "published"
        event.published_at = utcnow()
        _changed(event)
    if commit:
        db.session.commit()
    return event


@write_transaction()
def cancel_event(organiser: Organiser, event: Event, *, commit: bool = True) -> Event:
    """The page stays, marked cancelled; registrants are told and calendars drop the event."""
    require_manage(organiser, event)
    if event.status != "cancelled":
        was_public = event.status == "published"
        event.status = "cancelled"
        event.sequence += 1
        _changed(event)
        db.session.flush()
        if was_public:
            event_cancelled.send(event)
    if commit:
        db.session.commit()
    return event


@write_transaction()
def delete_draft(organiser: Organiser, event: Event) -> None:
    require_manage(organiser, event)
    if event.status != "draft":
        raise ValidationError(
            {"status": _l("Only drafts can be deleted; cancel a published event instead.")}
        )
    db.session.delete(event)
    db.session.commit()
