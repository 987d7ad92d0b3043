"""What the public event page shows, worked out in Python once per render: the facts at the
top, the agenda by day and the facts box, as plain texts the template writes out. The page's
template had done this with a few hundred Jinja calls (macros, filters, helpers, gettext in
loops); written here each string is translated once per render and each date formatted once
per distinct day (core.i18n caches Babel's work), which is most of what the page cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from core.i18n import (
    FixedTexts,
    current_language,
    format_day,
    format_span,
    format_times,
    zone_label,
)
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
    texts: Any  # TEXTS() in the page's language
    kind: str
    when: str
    zone: str | None
    venue: str | None  # None for an event without a venue (the format is named instead)
    format: str
    audience: str  # the target groups' names, or the sentence that none is open yet
    agenda: list[AgendaDay]
    facts: list[tuple[str, Any]]  # (key, value) of the facts box, empty values left out


# The page's headings and labels (templates/events/detail.html writes them as page.texts).
TEXTS = FixedTexts(
    {
        "registration": _l("Registration"),
        "when": _l("When"),
        "where": _l("Where"),
        "who": _l("Who it is for"),
        "and_online": _l("and online"),
        "add_to_your_calendar": _l("Add to your calendar"),
        "add_to_calendar": _l("Add to calendar"),
        "calendar_file": _l("calendar file"),
        "google": _l("Add to Google Calendar"),
        "outlook": _l("Add to Outlook"),
        "about": _l("About the event"),
        "agenda": _l("Agenda"),
        "session_materials": _l("Materials for this session"),
        "facts": _l("Facts about the event"),
        "kind_of_event": _l("Kind of event"),
        "format": _l("Format"),
        "language": _l("Language of the event"),
        "online": _l("Online"),
        "places": _l("Places"),
        "no_groups": _l("The organisers have not opened this event to any group yet."),
        "link_sent": _l("The link to join is sent to registered participants."),
    }
)
FORMATS = FixedTexts({"room": _l("Room: %(room)s")}, formatted=False)
_plurals: dict[tuple[str, str, int], str] = {}


def _plural(kind: str, n: int) -> str:
    """A plural message for n in the page's language, made once per language and number."""
    key = (current_language(), kind, n)
    text = _plurals.get(key)
    if text is None:
        if kind == "places":
            text = ngettext("%(num)s place", "%(num)s places", n)
        elif kind == "at_most":
            text = ngettext("at most %(num)s place", "at most %(num)s places", n)
        else:
            text = ngettext("Speaker:", "Speakers:", n)
        if len(_plurals) < 10_000:
            _plurals[key] = text
    return text


def event_page(event: Any) -> EventPage:
    """The event page's texts in the page's language. `event` is an events.records record."""
    texts = TEXTS()
    kind = str(KIND_LABELS[event.kind])
    format_label = str(FORMAT_LABELS[event.format])
    groups = sorted_target_groups(event.target_groups)
    no_groups = texts["no_groups"]
    names = {tg.code: str(TARGET_GROUP_LABELS[tg.code]) for tg in groups}
    venue = None
    if event.has_venue:
        first = ", ".join(x for x in (event.venue_name, event.venue_address) if x)
        second = ", ".join(x for x in (event.venue_city, event.venue_country) if x)
        venue = Markup("{}<br>{}").format(first, second) if first else Markup.escape(second)

    room = FORMATS()["room"]
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
            meta.append(_plural("places", s.capacity))
        description, lang = content.localized(s, "description")
        day.sessions.append(
            AgendaSession(
                id=s.id,
                times=format_times(s.starts_at, s.ends_at, event.timezone),
                title=content.localized(s, "title"),
                meta=" · ".join(meta),
                speakers_label=_plural("speakers", len(s.speakers or ())),
                speakers="; ".join(
                    f"{sp['name']} ({sp['organisation']})" if sp.get("organisation") else sp["name"]
                    for sp in s.speakers or ()
                ),
                description=content.Localized(queries.render_description(description), lang),
            )
        )

    items = [
        f"{names[tg.code]} ({_plural('at_most', tg.quota)})"
        if tg.quota is not None
        else names[tg.code]
        for tg in groups
    ]
    online = texts["link_sent"] if event.format in ("online", "hybrid") else None
    facts = [
        (texts["kind_of_event"], kind),
        (texts["format"], format_label),
        (texts["language"], str(LANGUAGE_LABELS[event.language])),
        (texts["online"], online),
        (
            texts["places"],
            _plural("places", event.capacity) if event.capacity is not None else None,
        ),
        (texts["who"], items or no_groups),
    ]
    return EventPage(
        texts=texts,
        kind=kind,
        when=format_span(event.starts_at, event.ends_at, event.timezone),
        zone=zone_label(event.timezone, event.starts_at, online=event.format != "in_person"),
        venue=venue,
        format=format_label,
        audience=", ".join(names[tg.code] for tg in groups) if groups else no_groups,
        agenda=agenda,
        facts=[(key, value) for key, value in facts if value],
    )
