"""The reach section of the impact report, the worklist page and its CSV, and the reach in
the API's impact report, over the data set of test_reach.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.outreach.test_reach import data  # noqa: F401  (the fixture)
from tests.participants.test_exports import _xlsx_rows as xlsx_rows


def test_the_report_shows_reach(data: dict[str, Any], client: Any, login: Any) -> None:  # noqa: F811
    login()
    client.get("/?lang=en")
    text = client.get("/manage/impact").get_data(as_text=True)
    section = text.split('id="reach"', 1)[1]
    assert "checked in" in section  # the page says what took part means
    assert 'aria-labelledby="reach-kind-title"' in section  # the chart
    assert "reach-country-caption" in section
    # Sweden: 3 of 290, 1 of 21; the invited but not reached
    assert ">3</td>" in section and ">290</td>" in section and ">21</td>" in section
    invited = section.split("already invited by a campaign", 1)[1].split("</table>", 1)[0]
    assert "Vallentuna" in invited and "2027-04-05" in invited
    assert "Region Uppsala" in invited and "2027-04-20" in invited
    assert "Botkyrka" not in invited
    march = client.get("/manage/impact?to=2027-03-31").get_data(as_text=True)
    assert "2027-05" not in march.split('id="reach"', 1)[1].split("Sweden", 1)[0]


def test_the_worklist_and_its_csv(data: dict[str, Any], client: Any, login: Any) -> None:  # noqa: F811
    login()
    client.get("/?lang=en")
    page = client.get("/manage/impact/worklist")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Not yet reached: 307" in text
    assert "Ale" in text and ">Stockholm<" not in text
    only = client.get("/manage/impact/worklist?invited=1").get_data(as_text=True)
    assert "Not yet reached: 2" in only and "Ale" not in only
    csv = client.get("/manage/impact/worklist.csv?invited=1")
    assert csv.status_code == 200
    assert csv.headers["Content-Disposition"].startswith("attachment")
    body = csv.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads the UTF-8 right
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0].startswith('"Name";"Kind";"Code"')
    assert lines[1:] == [
        '"Vallentuna";"Municipality";"0115";"";"Stockholms län";"2027-04-05"',
        '"Region Uppsala";"Region";"03";"";"Uppsala län";"2027-04-20"',
    ]
    everything = client.get("/manage/impact/worklist.csv?sep=comma").get_data(as_text=True)
    assert len(everything.splitlines()) == 308
    before = client.get("/manage/impact/worklist.csv?to=2027-03-31").get_data(as_text=True)
    assert '"Botkyrka"' in before


@pytest.mark.parametrize("query", [
    "from=%00", "event=99999999999999999999", "event=%C2%B2", "to=2027-13-01", "invited=%00",
    "sep=tab",
])  # fmt: skip
def test_bad_input_is_never_a_500(data: dict[str, Any], client: Any, login: Any,  # noqa: F811
                                  query: str) -> None:  # fmt: skip
    login()
    for path in ("/manage/impact", "/manage/impact/worklist", "/manage/impact/worklist.csv",
                 "/manage/impact/worklist.xlsx"):  # fmt: skip
        assert client.get(f"{path}?{query}").status_code < 500, (path, query)


def test_the_worklist_as_a_spreadsheet_keeps_the_codes_leading_zeros(
    data: dict[str, Any],  # noqa: F811
    client: Any,
    login: Any,
) -> None:
    login()
    client.get("/?lang=en")
    page = client.get("/manage/impact/worklist?invited=1").get_data(as_text=True)
    assert "/manage/impact/worklist.xlsx?invited=1" in page
    answer = client.get("/manage/impact/worklist.xlsx?invited=1")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="worklist.xlsx"'
    rows = xlsx_rows(answer.data)
    assert rows[0][:3] == ["Name", "Kind", "Code"]
    assert rows[1][:3] == ["Vallentuna", "Municipality", "0115"]
    assert rows[2][:3] == ["Region Uppsala", "Region", "03"]
    assert len(rows) == 3


def test_the_worklist_needs_a_sign_in(client: Any) -> None:
    assert client.get("/manage/impact/worklist").status_code == 302
    assert client.get("/manage/impact/worklist.csv").status_code == 302


def test_the_api_answers_reach(data: dict[str, Any], client: Any, auth: dict) -> None:  # noqa: F811
    body = client.get("/api/v1/reports/impact", headers=auth).get_json()
    reach = body["reach"]
    assert [m["month"] for m in reach["took_part_by_month"]] == ["2027-03", "2027-04", "2027-05"]
    assert reach["took_part_by_month"][-1] == {
        "month": "2027-05", "total": 6,
        "by_kind": {"municipality": 2, "region": 1, "company": 2, "unknown": 1},
        "by_country": {"SE": 5, "FI": 1},
    }  # fmt: skip
    assert reach["sweden"]["municipalities"] == {"total": 290, "took_part": 3}
    assert reach["sweden"]["regions"] == {"total": 21, "took_part": 1}
    assert [(b["name"], b["invited_at"][:10]) for b in reach["sweden"]["not_reached_invited"]] == [
        ("Vallentuna", "2027-04-05"), ("Region Uppsala", "2027-04-20"),
    ]  # fmt: skip
    march = client.get("/api/v1/reports/impact?to=2027-03-31", headers=auth).get_json()
    assert march["reach"]["sweden"]["municipalities"]["took_part"] == 2


def test_the_openapi_document_declares_reach(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "took_part_by_month" in schemas["Reach"]["properties"]
    assert "sweden" in schemas["Reach"]["required"]
