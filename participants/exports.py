"""Registrations as CSV and XLSX for organisers, and the caterer's counts (never names).

Times are written in the event's own zone. CSV cells that a spreadsheet would read as a
formula (starting with = + - @) get a leading apostrophe; XLSX cells are written as strings.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from flask_babel import gettext as _

from events.models import Event
from events.services import TARGET_GROUP_LABELS
from participants import queries
from participants.forms import STATUS_LABELS
from participants.models import Registration


def _status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _local(moment: datetime | None, event: Event) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%d %H:%M")


def headers() -> list[str]:
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
    ]


def registration_row(registration: Registration, event: Event) -> list[str]:
    """One registration as the export's columns (see headers())."""
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
    ]


def rows(event: Event, filters: queries.RegistrationFilters | None = None) -> list[list[str]]:
    return [registration_row(r, event) for r in queries.list_registrations(event, filters)]


def _safe_cell(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def to_csv(table_headers: list[str], table: list[list[Any]]) -> str:
    """UTF-8 text with a byte-order mark, so spreadsheet programs read å, ä, ö right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(table_headers)
    for row in table:
        writer.writerow([_safe_cell(str(cell)) for cell in row])
    return out.getvalue()


def to_xlsx(sheet_name: str, table_headers: list[str], table: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True})
    for col, title in enumerate(table_headers):
        sheet.write_string(0, col, title, bold)
    widths = [len(h) for h in table_headers]
    for r, row in enumerate(table, start=1):
        for col, cell in enumerate(row):
            if isinstance(cell, int):
                sheet.write_number(r, col, cell)
            else:
                sheet.write_string(r, col, str(cell))
            widths[col] = max(widths[col], min(len(str(cell)), 60))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width + 2)
    sheet.freeze_panes(1, 0)
    if table_headers:
        sheet.autofilter(0, 0, max(len(table), 1), len(table_headers) - 1)
    workbook.close()
    return buffer.getvalue()


def registrations_csv(event: Event, filters: queries.RegistrationFilters | None = None) -> str:
    return to_csv(headers(), rows(event, filters))


def registrations_xlsx(event: Event, filters: queries.RegistrationFilters | None = None) -> bytes:
    return to_xlsx(_("Registrations"), headers(), rows(event, filters))


def catering_csv(event: Event) -> str:
    """Counts of needs among confirmed people; no names, no emails."""
    summary = queries.needs_summary(event)
    table: list[list[Any]] = [[text, n] for text, n in summary.needs]
    table.append([_("Confirmed participants"), summary.confirmed])
    table.append([_("With dietary or accessibility needs"), summary.with_needs])
    return to_csv([_("Need"), _("Number of people")], table)
