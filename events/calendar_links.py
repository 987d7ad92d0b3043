"""The links "Add to Google Calendar" and "Add to Outlook", which open the calendar's own form with
the event filled in, beside the .ics file (the event's page, a person's /r/<token> page).

Both take the entry in the address, so every value is URL-encoded (urlencode with quote:
spaces as %20, line breaks as %0A) and the description is shortened. Google's form takes a
daily recurrence (``recur=RRULE:...``), so a multi-day event is one entry per day there as in
the .ics file; Outlook's takes none, so there it is one span with the days' hours in the text.
An event that has ended or is cancelled offers no calendar entry (None).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from flask import current_app

from core.db import utcnow
from events.calendar import EventLike, SessionLike, entry_description, event_days, event_location
from events.content import localized

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"
DESCRIPTION_LIMIT = 600  # characters of the event's own text; the addresses stay short


def _utc(moment: datetime, pattern: str) -> str:
    return moment.astimezone(UTC).strftime(pattern)


def offers_calendar(event: EventLike, now: datetime | None = None) -> bool:
    """Whether the event still offers a calendar entry: not ended, not cancelled."""
    return event.status != "cancelled" and event.ends_at > (now or utcnow())


def calendar_links(
    event: EventLike,
    *,
    sessions: Iterable[SessionLike] | None = None,
    join_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, str] | None:
    """{"google": …, "outlook": …} for the event's public entry, or a person's own when
    `sessions` (the chosen ones) or `join_url` is given; None when it offers no entry."""
    if not offers_calendar(event, now):
        return None
    personal = sessions is not None or join_url is not None
    chosen = list(sessions or []) if personal else list(event.sessions)
    details = entry_description(
        event,
        sessions=chosen,
        personal=personal,
        join_url=join_url,
        limit=DESCRIPTION_LIMIT,
        # The event page is cached for every visitor: its address goes in only from
        # PUBLIC_BASE_URL (always set in production), never from a Host header a client sent.
        page_link=bool(current_app.config.get("PUBLIC_BASE_URL")),
    )
    location = join_url if join_url and event.format == "online" else event_location(event)
    title = localized(event, "title").text
    days = event_days(event)
    first_start, first_end = days[0]
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{_utc(first_start, '%Y%m%dT%H%M%SZ')}/{_utc(first_end, '%Y%m%dT%H%M%SZ')}",
        "details": details,
        "location": location,
        "ctz": event.timezone,
    }
    if len(days) > 1:
        google["recur"] = f"RRULE:FREQ=DAILY;COUNT={len(days)}"
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": _utc(first_start, "%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(days[-1][1], "%Y-%m-%dT%H:%M:%SZ"),
        "body": details,
        "location": location,
    }
    quoted: dict[str, str] = {}  # the long texts are in both: percent-encoded once

    def query(params: dict[str, str]) -> str:
        return "&".join(
            f"{key}={quoted.setdefault(value, quote(value, safe=''))}"
            for key, value in params.items()
        )

    return {"google": f"{GOOGLE}?{query(google)}", "outlook": f"{OUTLOOK}?{query(outlook)}"}
