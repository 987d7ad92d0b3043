"""What an edit of an event or of its agenda would change and who it would email, before
anything is saved: the organiser's edit page shows it ("This change will email N people"), with
the notice as each recipient's language writes it, and saves only once they confirm. The same
for cancelling a published event. The JSON API saves at once (events.services.update_event)
without this step.

Registrations belong to participants, which events never imports: the count comes back through
the `change_audience` signal (participants answers with one count query)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale

from core.db import db, write_transaction
from core.mail_render import RenderedMail, render_message
from core.models import Organiser, OutboxMessage
from core.outbox import captured
from events.content import translation
from events.facts import (
    PLACE_FIELDS,
    agenda_changes,
    agenda_snapshot,
    event_facts,
    previous_facts,
)
from events.models import LANGUAGES, Event
from events.parsing import parse_event
from events.services import SCHEDULE_FIELDS, change_audience, update_event

_TIME_FIELDS = ("starts_at", "ends_at", "timezone")


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
class Audience:
    """Who a notice about the event would go to: its active registrations, counted."""

    confirmed: int = 0
    waitlisted: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # recipients by language

    @property
    def recipients(self) -> int:
        return self.confirmed + self.waitlisted

    @property
    def by_language(self) -> list[tuple[str, int]]:
        """(language, count) of the languages present, in the app's order of languages."""
        order = {lang: i for i, lang in enumerate(LANGUAGES)}
        return sorted(self.languages.items(), key=lambda item: order.get(item[0], len(order)))

    def count(self, event: Event) -> None:
        for _receiver, counts in change_audience.send(event):
            if counts:
                self.confirmed += counts.get("confirmed", 0)
                self.waitlisted += counts.get("waitlisted", 0)
                for lang, n in counts.get("languages", {}).items():
                    self.languages[lang] = self.languages.get(lang, 0) + n


def audience(event: Event) -> Audience:
    """Who a notice about a published event would go to (one count query in participants)."""
    counted = Audience()
    if event.status == "published":
        counted.count(event)
    return counted


@dataclass
class ChangePreview(Audience):
    """What the edit would change, and who would be told (only a published event's active
    registrations are)."""

    before: Schedule | None = None
    after: Schedule | None = None
    time_changed: bool = False
    place_changed: bool = False
    link_changed: bool = False
    published: bool = False
    # The agenda before and after (events.facts.agenda_snapshot), when the edit gives one.
    agenda_before: list[dict[str, Any]] = field(default_factory=list)
    agenda_after: list[dict[str, Any]] = field(default_factory=list)
    sessions_changed: bool = False

    @property
    def rescheduled(self) -> bool:
        """The time, place or agenda changes: calendars get a new SEQUENCE, people are told."""
        return self.time_changed or self.place_changed or self.link_changed or self.sessions_changed

    @property
    def notifies(self) -> bool:
        """Saving would email people: the organiser should see this first."""
        return self.published and self.rescheduled and self.recipients > 0

    def sessions(self, language: str) -> list[dict[str, Any]]:
        """The sessions changed, added or removed, titles in `language`."""
        return agenda_changes(self.agenda_before, self.agenda_after, language)


def _schedule(values: Mapping[str, Any]) -> Schedule:
    return Schedule(**{key: values.get(key) or "" for key in SCHEDULE_FIELDS})


def _planned(item: Mapping[str, Any], kept: Mapping[int, Any], own: str) -> dict[str, Any]:
    """A parsed session of the edit as agenda_snapshot gives a saved one (id None for a new)."""
    old = kept.get(item.get("id"))
    texts = SimpleNamespace(
        translations=item.get("translations", old.translations if old is not None else {})
    )
    return {
        "id": old.id if old is not None else None,
        "starts_at": item["starts_at"],
        "ends_at": item["ends_at"],
        "room": item.get("room") or "",
        "titles": {
            lang: (translation(texts, "title", lang) if lang != own else "") or item["title"]
            for lang in LANGUAGES
        },
    }


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
        place_changed=any((before[key] or "") != after[key] for key in PLACE_FIELDS),
        link_changed=(before["online_url"] or "") != after["online_url"],
        published=event.status == "published",
    )
    if parsed.sessions is not None:
        kept = {s.id: s for s in event.sessions}
        own = parsed.values.get("language", event.language)
        preview.agenda_before = agenda_snapshot(event.sessions)
        preview.agenda_after = [_planned(item, kept, own) for item in parsed.sessions]
        preview.sessions_changed = bool(preview.sessions(own))
    if preview.published and preview.rescheduled:
        preview.count(event)
    return preview


def _sample_snapshot(
    event: Event, language: str, name: str, manage_url: str, **extra: Any
) -> dict[str, Any]:
    return {
        "registration": {"name": name, "email": "", "status": "confirmed"},
        "event": event_facts(event, language),
        "sessions": [],
        "manage_url": manage_url,
        "join_url": None,
        **extra,
    }


def notice_preview(
    event: Event, preview: ChangePreview, language: str, name: str, manage_url: str
) -> RenderedMail:
    """The notice a confirmed person would get, in `language`, written from the same facts the
    real one is (participants.emails' event_changed kind, events.facts.previous_facts), with the
    new time, place and agenda and the old ones. `name` and `manage_url` stand in for the
    person's own."""
    assert preview.before is not None and preview.after is not None
    snapshot = _sample_snapshot(event, language, name, manage_url)
    after = preview.after
    snapshot["event"].update(
        starts_at=after.starts_at.isoformat(),
        ends_at=after.ends_at.isoformat(),
        timezone=after.timezone,
        **{key: getattr(after, key) for key in PLACE_FIELDS},
    )
    previous = previous_facts(vars(preview.before), vars(after), preview.sessions(language) or None)
    if previous:
        snapshot["previous"] = previous
    return render_message("event_changed", language, snapshot)


def cancel_notice(event: Event, language: str, name: str, manage_url: str) -> RenderedMail:
    """The cancellation notice a confirmed person would get, in `language`
    (participants.emails' event_cancelled kind)."""
    snapshot = _sample_snapshot(event, language, name, manage_url)
    snapshot["event"]["status"] = "cancelled"
    return render_message("event_cancelled", language, snapshot)


@dataclass
class Promotions(Audience):
    """Who an edit would move off the waiting list (a higher capacity or quota, a group let
    in), counted as `waitlisted`, and the snapshot of the first one's email in each language."""

    facts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def notice(self, language: str, name: str, manage_url: str) -> RenderedMail:
        """That email as the worker renders it, with `name` and `manage_url` standing in for
        the person's own name, address and links (the organiser sees no one's ticket)."""
        with force_locale(language):  # a stand-in given as a lazy text, in the email's language
            name, manage_url = str(name), str(manage_url)
        facts = dict(self.facts[language])
        facts["registration"] = {**facts["registration"], "name": name, "email": ""}
        for link in ("manage_url", "ticket_url", "checkin_url"):
            if facts.get(link):
                facts[link] = manage_url
        return render_message("promoted", language, facts, [])


@write_transaction()
def promotions_preview(organiser: Organiser, event: Event, data: Mapping[str, Any]) -> Promotions:
    """The edit made as update_event makes it, under the same lock, then rolled back: the
    promotion rules decide who gets a place (no copy of them here), and the emails they queue
    are read back before the rollback takes them away. Only a published event with people
    waiting can promote anyone."""
    found = Promotions()
    if event.status != "published" or audience(event).waitlisted == 0:
        return found
    with captured() as ids:
        update_event(organiser, event, data, commit=False)
    if ids:
        rows = db.session.execute(
            sa.select(OutboxMessage.language, OutboxMessage.facts)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.kind == "promoted")
            .order_by(OutboxMessage.id)
        ).all()
        for language, facts in rows:
            found.waitlisted += 1
            found.languages[language] = found.languages.get(language, 0) + 1
            found.facts.setdefault(language, facts)
    db.session.rollback()
    return found
