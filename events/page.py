"""What the public event page shows, worked out in Python once per render: the facts at the
top, the agenda by day and the facts box, as plain texts the template writes out. The page's
template had done this with a few hundred Jinja calls (macros, filters, helpers, gettext in
loops); written here each string is translated once per render and each date formatted once
per distinct day (core.i18n caches Babel's work), which is most of what the page cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from core.i18n import format_day, format_span, format_times, zone_label
from events import content, queries
from events.labels import (
    FORMAT_LABELS,
    KIND_LABELS,
    LANGUAGE_LABELS,
    TARGET_GROUP_LABELS,
    sorted_target_groups,
)


@dataclass
class AgendaSession:
    id: int
    times: str
    title: content.Localized
    meta: str  # "Room: Sal 1 · 40 places", or ""
    speakers_label: str
    speakers: str  # "Karin Lind (Upphandlingsmyndigheten); …", or ""
    description: content.Localized  # as safe HTML


@dataclass
class AgendaDay:
    heading: str
    sessions: list[AgendaSession] = field(default_factory=list)


@dataclass
class EventPage:
    kind: str
    when: str
    zone: str | None
    venue: str | None  # None for an event without a venue (the format is named instead)
    format: str
    audience: str  # the target groups' names, or the sentence that none is open yet
    agenda: list[AgendaDay]
    facts: list[tuple[str, Any]]  # (key, value) of the facts box, empty values left out


def _plural_once() -> Any:
    done: dict[int, str] = {}

    def places(n: int) -> str:
        if n not in done:
            done[n] = ngettext("%(num)s place", "%(num)s places", n)
        return done[n]

    return places


def event_page(event: Any) -> EventPage:
    """The event page's texts in the page's language. `event` is an events.records record."""
    places = _plural_once()
    kind = str(KIND_LABELS[event.kind])
    format_label = str(FORMAT_LABELS[event.format])
    groups = sorted_target_groups(event.target_groups)
    no_groups = _("The organisers have not opened this event to any group yet.")
    names = {tg.code: str(TARGET_GROUP_LABELS[tg.code]) for tg in groups}
    venue = None
    if event.has_venue:
        first = ", ".join(x for x in (event.venue_name, event.venue_address) if x)
        second = ", ".join(x for x in (event.venue_city, event.venue_country) if x)
        venue = Markup("{}<br>{}").format(first, second) if first else Markup.escape(second)

    room = _("Room: %(room)s")
    speakers_label: dict[int, str] = {}
    zone = ZoneInfo(event.timezone)
    agenda: list[AgendaDay] = []
    day_of: dict[Any, AgendaDay] = {}
    for s in event.sessions:
        start = s.starts_at.astimezone(zone)
        day = day_of.get(start.date())
        if day is None:
            day = day_of[start.date()] = AgendaDay(format_day(start))
            agenda.append(day)
        meta = []
        if s.room:
            meta.append(room % {"room": s.room})
        if s.capacity is not None:
            meta.append(places(s.capacity))
        description, lang = content.localized(s, "description")
        n_speakers = len(s.speakers or ())
        if n_speakers not in speakers_label:
            speakers_label[n_speakers] = ngettext("Speaker:", "Speakers:", n_speakers)
        day.sessions.append(
            AgendaSession(
                id=s.id,
                times=format_times(s.starts_at, s.ends_at, event.timezone),
                title=content.localized(s, "title"),
                meta=" · ".join(meta),
                speakers_label=speakers_label[n_speakers],
                speakers="; ".join(
                    f"{sp['name']} ({sp['organisation']})" if sp.get("organisation") else sp["name"]
                    for sp in s.speakers or ()
                ),
                description=content.Localized(queries.render_description(description), lang),
            )
        )

    at_most: dict[int, str] = {}
    items = []
    for tg in groups:
        text = names[tg.code]
        if tg.quota is not None:
            if tg.quota not in at_most:
                at_most[tg.quota] = ngettext(
                    "at most %(num)s place", "at most %(num)s places", tg.quota
                )
            text = f"{text} ({at_most[tg.quota]})"
        items.append(text)
    online = (
        _("The link to join is sent to registered participants.")
        if event.format in ("online", "hybrid")
        else None
    )
    facts = [
        (_("Kind of event"), kind),
        (_("Format"), format_label),
        (_("Language of the event"), str(LANGUAGE_LABELS[event.language])),
        (_("Online"), online),
        (_("Places"), places(event.capacity) if event.capacity is not None else None),
        (_("Who it is for"), items or no_groups),
    ]
    return EventPage(
        kind=kind,
        when=format_span(event.starts_at, event.ends_at, event.timezone),
        zone=zone_label(event.timezone, event.starts_at, online=event.format != "in_person"),
        venue=venue,
        format=format_label,
        audience=", ".join(names[tg.code] for tg in groups) if groups else no_groups,
        agenda=agenda,
        facts=[(key, value) for key, value in facts if value],
    )
