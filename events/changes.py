"""What an edit of an event would change and who it would email, before anything is saved: the
organiser's edit page shows it ("This change will email N people") and saves only once they
confirm. The JSON API saves at once (events.services.update_event) without this step.

Registrations belong to participants, which events never imports: the count comes back through
the `change_audience` signal (participants answers with one count query)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.mail_render import RenderedMail, render_message
from events.facts import event_facts
from events.models import Event
from events.parsing import parse_event
from events.services import SCHEDULE_FIELDS, change_audience

_TIME_FIELDS = ("starts_at", "ends_at", "timezone")
_PLACE_FIELDS = ("format", "venue_name", "venue_address", "venue_city", "venue_country")


@dataclass
class Schedule:
    """An event's time and place, before or after the change."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    format: str
    venue_name: str = ""
    venue_address: str = ""
    venue_city: str = ""
    venue_country: str = ""
    online_url: str = ""

    @property
    def has_venue(self) -> bool:
        return self.format in ("in_person", "hybrid")


@dataclass
class ChangePreview:
    """What the edit would change, and who would be told (only a published event's active
    registrations are)."""

    before: Schedule
    after: Schedule
    time_changed: bool
    place_changed: bool
    link_changed: bool
    published: bool
    confirmed: int = 0
    waitlisted: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # recipients by language

    @property
    def rescheduled(self) -> bool:
        """The time or place changes: calendars get a new SEQUENCE."""
        return self.time_changed or self.place_changed or self.link_changed

    @property
    def recipients(self) -> int:
        return self.confirmed + self.waitlisted

    @property
    def notifies(self) -> bool:
        """Saving would email people: the organiser should see this first."""
        return self.published and self.rescheduled and self.recipients > 0


def _schedule(values: Mapping[str, Any]) -> Schedule:
    return Schedule(**{key: values.get(key) or "" for key in SCHEDULE_FIELDS})


def change_preview(event: Event, data: Mapping[str, Any]) -> ChangePreview:
    """Parse the edit as update_event would (ValidationError for the same faults), without
    saving, and say what would change and who would be notified (a count, not a list)."""
    parsed = parse_event(data, event)
    before = {key: getattr(event, key) for key in SCHEDULE_FIELDS}
    after = {key: parsed.values.get(key, before[key]) for key in SCHEDULE_FIELDS}
    after = {key: "" if value is None else value for key, value in after.items()}
    preview = ChangePreview(
        before=_schedule(before),
        after=_schedule(after),
        time_changed=any(before[key] != after[key] for key in _TIME_FIELDS),
        place_changed=any((before[key] or "") != after[key] for key in _PLACE_FIELDS),
        link_changed=(before["online_url"] or "") != after["online_url"],
        published=event.status == "published",
    )
    if preview.published and preview.rescheduled:
        for _receiver, counts in change_audience.send(event):
            if counts:
                preview.confirmed += counts.get("confirmed", 0)
                preview.waitlisted += counts.get("waitlisted", 0)
                for lang, n in counts.get("languages", {}).items():
                    preview.languages[lang] = preview.languages.get(lang, 0) + n
    return preview


def notice_preview(
    event: Event, preview: ChangePreview, language: str, name: str, manage_url: str
) -> RenderedMail:
    """The notice a confirmed person would get, in `language`, written from the same facts the
    real one is (participants.emails' event_changed kind), with the new time and place and the
    old ones. `name` and `manage_url` stand in for the person's own."""
    facts = event_facts(event, language)
    after = preview.after
    facts.update(
        starts_at=after.starts_at.isoformat(),
        ends_at=after.ends_at.isoformat(),
        timezone=after.timezone,
        format=after.format,
        venue_name=after.venue_name,
        venue_address=after.venue_address,
        venue_city=after.venue_city,
        venue_country=after.venue_country,
    )
    before = preview.before
    previous = None
    if preview.time_changed or preview.place_changed:
        previous = {
            "time_changed": preview.time_changed,
            "place_changed": preview.place_changed,
            "starts_at": before.starts_at.isoformat(),
            "ends_at": before.ends_at.isoformat(),
            "timezone": before.timezone,
            **{key: getattr(before, key) for key in _PLACE_FIELDS},
        }
    snapshot = {
        "registration": {"name": name, "email": "", "status": "confirmed"},
        "event": facts,
        "sessions": [],
        "manage_url": manage_url,
        "join_url": None,
    }
    if previous:
        snapshot["previous"] = previous
    return render_message("event_changed", language, snapshot)
