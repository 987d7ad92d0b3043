"""Registrations as CSV and XLSX for organisers, and the caterer's counts (never names).

Times are written in the event's own zone. A session that keeps its own attendance
(Session.track_attendance) adds a column of when each person arrived at it. The files are
written by core.spreadsheets (a `;` CSV with a byte-order mark for Swedish and Finnish Excel,
or `,` on request; no cell starts as a formula; XLSX strings stay strings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from core.spreadsheets import to_csv, to_xlsx
from events.labels import TARGET_GROUP_LABELS
from events.models import Event
from participants import attendance, queries
from participants.forms import STATUS_LABELS
from participants.models import Registration


def _status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _local(moment: datetime | None, event: Event) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%d %H:%M")


def headers(event: Event | None = None) -> list[str]:
    tracked = attendance.tracked_sessions(event) if event is not None else []
    return [
        _("Name"),
        _("Email"),
        _("Organisation"),
        _("Organisation number"),
        _("Country"),
        _("Target group"),
        _("Role or title"),
        _("Sessions"),
        _("Status"),
        _("Registered at"),
        _("Attended"),
    ] + [_("Attended: %(session)s", session=s.title) for s in tracked]


def registration_row(
    registration: Registration,
    event: Event,
    session_times: dict[tuple[int, int], datetime] | None = None,
) -> list[str]:
    """One registration as the export's columns (see headers()); with `session_times`
    (attendance.event_session_times) also a column per session that keeps attendance."""
    organisation = registration.organisation
    return [
        registration.name,
        registration.email,
        organisation.name,
        organisation.org_number or "",
        organisation.country,
        str(TARGET_GROUP_LABELS.get(registration.target_group, registration.target_group)),
        registration.role or "",
        "; ".join(s.title for s in registration.sessions),
        _status_label(registration.status),
        _local(registration.created_at, event),
        _local(registration.attended_at, event),
    ] + (
        [
            _local(session_times.get((registration.id, s.id)), event)
            for s in attendance.tracked_sessions(event)
        ]
        if session_times is not None
        else []
    )


def rows(event: Event, filters: queries.RegistrationFilters | None = None) -> list[list[str]]:
    times = attendance.event_session_times(event) if attendance.tracked_sessions(event) else None
    return [registration_row(r, event, times) for r in queries.list_registrations(event, filters)]


def registrations_csv(
    event: Event, filters: queries.RegistrationFilters | None = None, sep: str = ";"
) -> str:
    return to_csv(headers(event), rows(event, filters), sep)


def registrations_xlsx(event: Event, filters: queries.RegistrationFilters | None = None) -> bytes:
    return to_xlsx(_("Registrations"), headers(event), rows(event, filters))


def catering_csv(event: Event, sep: str = ";") -> str:
    """Counts of needs among confirmed people; no names, no emails. The totals come after a
    blank row, so sorting or filtering the needs (Excel's current region) leaves them out."""
    summary = queries.needs_summary(event)
    table: list[list[Any]] = [[text, n] for text, n in summary.needs]
    table.append([])
    table.append([_("Confirmed participants"), summary.confirmed])
    table.append([_("With dietary or accessibility needs"), summary.with_needs])
    return to_csv([_("Need"), _("Number of people")], table, sep)
