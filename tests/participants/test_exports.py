"""Exports for organisers: registrations as CSV and XLSX, and the caterer's counts (no names)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from core.db import db
from participants import queries, services
from participants.models import Registration
from tests.conftest import event_data
from tests.participants.helpers import as_stored, person, sessions_for

HEADERS = [
    "Name",
    "Email",
    "Organisation",
    "Organisation number",
    "Country",
    "Target group",
    "Role or title",
    "Sessions",
    "Status",
    "Registered at",
    "Attended",
]
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    client.get("/?lang=en")
    return client


@pytest.fixture
def helsinki_event(make_event):
    """A Helsinki event with two sessions and three people: confirmed and checked in,
    confirmed, and waitlisted."""
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(
        timezone="Europe/Helsinki",
        capacity=2,
        sessions=sessions_for(start, None, None),
    )
    first, second = (s.id for s in event.sessions)
    a = as_stored(
        services.register(
            event,
            person(
                1,
                organisation={
                    "name": "Helsingin kaupunki",
                    "org_number": "0201256-6",
                    "country": "FI",
                },
                sessions=[first, second],
                needs="Vegetarian",
            ),
        )
    )
    services.register(
        event,
        person(2, target_group="supplier", role='=HYPERLINK("http://x")', needs=" vegetarian "),
    )
    services.register(event, person(3, needs="Gluten-free"))
    # A fixed registration time, to check it is written in Helsinki time.
    a.created_at = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
    db.session.commit()
    services.check_in(a, True)
    return event


def _csv(response, delimiter: str = ";") -> list[list[str]]:
    """The file as Excel in Swedish or Finnish reads it: a byte-order mark, then `;`."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_csv_has_the_columns_and_values(signed_in, helsinki_event):
    rows = _csv(signed_in.get(f"/manage/events/{helsinki_event.slug}/registrations.csv"))

    assert rows[0] == HEADERS
    assert len(rows) == 4
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["Name"] == "Maja Upphandlare 1"
    assert first["Email"] == "maja1@stockholm.se"
    assert first["Organisation"] == "Helsingin kaupunki"
    assert first["Organisation number"] == "0201256-6"
    assert first["Country"] == "FI"
    assert first["Target group"] == "Contracting authorities"
    assert first["Role or title"] == "Upphandlare"
    assert first["Sessions"] == "Pass 1; Pass 2"
    assert first["Status"] == "Confirmed"
    assert first["Registered at"] == "2026-05-04 09:30"  # 06:30 UTC is 09:30 in Helsinki
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", first["Attended"])
    second = dict(zip(HEADERS, rows[2], strict=True))
    assert second["Attended"] == ""
    assert second["Role or title"] == '\'=HYPERLINK("http://x")'  # not run as a formula
    assert dict(zip(HEADERS, rows[3], strict=True))["Status"] == "Waitlisted"


def test_csv_follows_the_filters(signed_in, helsinki_event):
    url = f"/manage/events/{helsinki_event.slug}/registrations.csv"
    rows = _csv(signed_in.get(url + "?status=waitlisted"))
    assert [r[0] for r in rows[1:]] == ["Maja Upphandlare 3"]
    rows = _csv(signed_in.get(url + "?attended=yes"))
    assert [r[0] for r in rows[1:]] == ["Maja Upphandlare 1"]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's cells as text, read straight from the XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = [
            "".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t"))
            for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", NS)
        ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.find("x:sheetData", NS).findall("x:row", NS):
        cells = []
        for cell in row.findall("x:c", NS):
            value = cell.find("x:v", NS)
            text = "" if value is None else value.text
            assert cell.find("x:f", NS) is None  # no formulas
            cells.append(shared[int(text)] if cell.get("t") == "s" else text)
        rows.append(cells)
    return rows


def test_xlsx_has_the_same_rows(signed_in, helsinki_event):
    response = signed_in.get(f"/manage/events/{helsinki_event.slug}/registrations.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"].endswith('registrations.xlsx"')

    rows = _xlsx_rows(response.get_data())

    assert rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == [
        "Maja Upphandlare 1",
        "Maja Upphandlare 2",
        "Maja Upphandlare 3",
    ]
    first = dict(zip(HEADERS, rows[1], strict=False))
    assert first["Organisation number"] == "0201256-6"
    assert first["Sessions"] == "Pass 1; Pass 2"
    assert first["Registered at"] == "2026-05-04 09:30"
    # Strings stay strings: the formula-like role is kept as text.
    assert rows[2][6] == '=HYPERLINK("http://x")'


def test_caterers_page_and_csv_count_needs_of_confirmed_people_without_names(
    signed_in, helsinki_event
):
    page = signed_in.get(f"/manage/events/{helsinki_event.slug}/catering")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Confirmed people: 2. With needs: 2." in html
    assert re.search(r"<td [^>]*>Vegetarian</td>\s*<td [^>]*>2</td>", html)
    assert "Gluten-free" not in html  # the waitlisted person's need is not counted
    for registration in db.session.scalars(db.select(Registration)):
        assert registration.name not in html
        assert registration.email not in html

    rows = _csv(signed_in.get(f"/manage/events/{helsinki_event.slug}/catering.csv"))
    assert rows == [
        ["Need", "Number of people"],
        ["Vegetarian", "2"],
        [],  # the totals stand apart from the rows
        ["Confirmed participants", "2"],
        ["With dietary or accessibility needs", "2"],
    ]
    flat = " ".join(" ".join(r) for r in rows)
    assert "Maja" not in flat and "@" not in flat


def test_needs_summary_groups_texts_ignoring_case_and_spaces(make_event):
    event = make_event()
    for n, needs in enumerate(["Laktosfri", "laktosfri ", "LAKTOSFRI", "Rullstol", ""], 1):
        services.register(event, person(n, needs=needs))
    summary = queries.needs_summary(event)
    assert summary.confirmed == 5
    assert summary.with_needs == 4
    assert summary.needs == [("Laktosfri", 3), ("Rullstol", 1)]


def test_csv_separates_with_a_comma_on_request(signed_in, helsinki_event):
    url = f"/manage/events/{helsinki_event.slug}/registrations.csv?sep=comma"
    rows = _csv(signed_in.get(url), delimiter=",")
    assert rows[0] == HEADERS
    assert dict(zip(HEADERS, rows[1], strict=True))["Sessions"] == "Pass 1; Pass 2"
    catering = _csv(
        signed_in.get(f"/manage/events/{helsinki_event.slug}/catering.csv?sep=comma"), ","
    )
    assert catering[1] == ["Vegetarian", "2"]


def test_an_unknown_separator_or_filter_exports_nothing(signed_in, helsinki_event):
    base = f"/manage/events/{helsinki_event.slug}"
    for url in (
        f"{base}/registrations.csv?sep=tab",
        f"{base}/catering.csv?sep=;",
        f"{base}/registrations.csv?status=everyone",
        f"{base}/registrations.xlsx?target_group=x",
    ):
        response = signed_in.get(url)
        assert response.status_code == 422, url
        assert "Maja" not in response.get_data(as_text=True)


def test_a_hostile_name_is_no_live_cell_with_either_separator(signed_in, make_event):
    event = make_event()
    services.register(event, person(1, name="Anna;=1+1;x", role='x,"=2+2'))
    services.register(event, person(2, name="-3+4", role="@SUM(A1)"))
    url = f"/manage/events/{event.slug}/registrations.csv"
    for sep, name in ((None, "semicolon"), ("comma", "comma")):
        response = signed_in.get(url + (f"?sep={sep}" if sep else ""))
        for delimiter in (";", ",", "\t"):
            for row in _csv(response, delimiter):
                for cell in row:
                    assert not cell or cell[0] not in "=+-@\t\r", (name, delimiter, cell)
    rows = _csv(signed_in.get(url))
    assert rows[1][0] == "Anna;'=1+1;x"  # whole, in one cell, and marked as text
    assert rows[2][0] == "'-3+4"
    assert rows[2][6] == "'@SUM(A1)"
