"""The one CSV writer and the one XLSX writer, for every export (registrations, the caterer's
counts; materials and surveys later).

CSV for Excel in Swedish and Finnish: a UTF-8 byte-order mark (so å, ä and ö read right) and
`;` between columns (their list separator; a comma file opens in one column there), with a
comma variant on request (`?sep=comma`, see parse_separator).

No cell starts live, whatever separator the reader uses. A text cell that begins with
= + - @, a tab or a carriage return gets a leading apostrophe. Every text cell is quoted, so a
reader that splits on our separator keeps it whole. A reader that splits on another character
(a `;` file read with `,`, or a line break) may start a cell inside ours: so wherever a
separator character or a line break inside a cell is followed (after any quotes) by one of
those characters, an apostrophe goes in between too ("Anna;=1+1;x" is written "Anna;'=1+1;x").

XLSX (XlsxWriter): strings are written as strings, never read as formulas, links or numbers.
An empty row (`[]`) in the table is written as a blank row, to set a section apart.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

import xlsxwriter
from flask_babel import lazy_gettext as _l

from core.errors import ValidationError

SEPARATORS = {"semicolon": ";", "comma": ","}
_TRIGGERS = "=+-@\t\r"
# A separator or line break inside a cell, any quotes after it, then a trigger character.
_INNER = re.compile(r'([;,\t\r\n]"*)(?=[=+\-@\t\r])')

Row = Sequence[Any]


def parse_separator(value: str | None) -> str:
    """The CSV separator asked for (`semicolon`, the default, or `comma`); ValidationError
    naming `sep` for anything else."""
    if not value:
        return SEPARATORS["semicolon"]
    if value not in SEPARATORS:
        raise ValidationError(
            {"sep": _l("Choose one of: %(choices)s.", choices=", ".join(SEPARATORS))}
        )
    return SEPARATORS[value]


def safe_text(value: str) -> str:
    """The text with no cell starting live in any reader (see the module's note)."""
    if value and value[0] in _TRIGGERS:
        value = "'" + value
    return _INNER.sub(r"\1'", value)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return safe_text("" if value is None else str(value))
    return value


def to_csv(headers: Row, table: Sequence[Row], sep: str = ";") -> str:
    """Text with a byte-order mark; text cells quoted and made safe, numbers as numbers."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=sep, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for row in [headers, *table]:
        writer.writerow([_csv_cell(cell) for cell in row])
    return out.getvalue()


def to_xlsx(sheet_name: str, headers: Row, table: Sequence[Row]) -> bytes:
    """One sheet: a bold, frozen header row with a filter, then the table."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(_sheet_name(sheet_name))
    bold = workbook.add_format({"bold": True})
    for col, title in enumerate(headers):
        sheet.write_string(0, col, str(title), bold)
    widths = [len(str(h)) for h in headers]
    data_rows = 0
    for r, row in enumerate(table, start=1):
        if row and data_rows == r - 1:
            data_rows = r  # the filter covers the rows up to the first blank one
        for col, cell in enumerate(row):
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(r, col, cell)
            else:
                sheet.write_string(r, col, "" if cell is None else str(cell))
            if col >= len(widths):
                widths.append(0)
            widths[col] = max(widths[col], min(len(str(cell)), 60))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width + 2)
    sheet.freeze_panes(1, 0)
    if headers:
        sheet.autofilter(0, 0, max(data_rows, 1), len(headers) - 1)
    workbook.close()
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", str(name)).strip("'")
    return cleaned[:31] or "Sheet1"
