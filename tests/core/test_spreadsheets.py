"""core.spreadsheets: the one CSV and XLSX writer, read back as Swedish Excel would."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.etree import ElementTree

import pytest

from core.errors import ValidationError
from core.spreadsheets import parse_separator, safe_text, to_csv, to_xlsx

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
HOSTILE = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "Anna;=1+1;x",
    "Anna,=1+1,x",
    'a;"=1',
    'a,""+1',
    "line\n=1",
    "tab\t@x",
]


def _read(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


@pytest.mark.parametrize("sep", [";", ","])
def test_no_cell_starts_live_whatever_the_reader_splits_on(sep):
    text = to_csv(["Name", "Other"], [[value, value] for value in HOSTILE], sep)
    for delimiter in (";", ",", "\t"):
        for row in _read(text, delimiter):
            for cell in row:
                assert not cell or cell[0] not in "=+-@\t\r", (sep, delimiter, cell)
    rows = _read(text, sep)
    assert [r[0] for r in rows[1:]] == [safe_text(v) for v in HOSTILE]  # one cell each


def test_text_is_kept_apart_from_numbers_and_sections():
    text = to_csv(["Need", "Number"], [["Vegetarian", 2], [], ["In all", 3]])
    assert text == '\ufeff"Need";"Number"\r\n"Vegetarian";2\r\n\r\n"In all";3\r\n'


def test_safe_text_leaves_ordinary_text_alone():
    for value in ("Maja Upphandlare", "Pass 1; Pass 2", "0201256-6", "a - b", "Ö, Å"):
        assert safe_text(value) == value


def test_separator_is_chosen_by_name():
    assert parse_separator(None) == ";"
    assert parse_separator("semicolon") == ";"
    assert parse_separator("comma") == ","
    with pytest.raises(ValidationError) as err:
        parse_separator(";")
    assert set(err.value.fields) == {"sep"}


def test_xlsx_writes_strings_as_strings():
    data = to_xlsx(
        "Anmälningar: 2026/1", ["Name", "N"], [["=1+1", 2], ["123", 3], [], ["http://x", 1]]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = [
            "".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t"))
            for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", NS)
        ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
        workbook = book.read("xl/workbook.xml").decode()
    assert "Anmälningar  2026 1" in workbook  # Excel's forbidden characters replaced
    cells = {c.get("r"): c for c in sheet.iter(f"{{{NS['x']}}}c")}
    for ref, text in (("A2", "=1+1"), ("A3", "123"), ("A5", "http://x")):
        assert cells[ref].get("t") == "s" and cells[ref].find("x:f", NS) is None
        assert shared[int(cells[ref].find("x:v", NS).text)] == text
    assert cells["B2"].get("t") is None  # a number
    assert "A4" not in cells  # the blank row
    assert sheet.find("x:hyperlinks", NS) is None
