"""The impact report withholds an adopted figure behind which fewer than 5 responses of
anonymous surveys stand, in the page, the CSV and the API, as the survey results do.

Hand-worked: event A (March 2027) has an anonymous survey answered by 3 suppliers (2 yes,
1 no) and 5 contracting authorities (1 yes, 4 no); event B (May 2027) a named survey where
p (contracting authority, at B) said yes; event C (July 2027) an anonymous survey with 2
responses (both yes). Adopted, in all: 1 named + 2 + 1 + 2 anonymous yes = 6, behind 10
anonymous responses (shown). By target group: supplier 3 responses (withheld), contracting
authority 5 + 2 = 7 responses, 1 + 2 anonymous yes + p = 4. By event: A 8 responses, 3
yes; B none anonymous, 1; C 2 responses (withheld). Only event C: in all withheld too.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from core.db import db
from tests.surveys.helpers import build_survey
from tests.surveys.test_impact import QUESTIONS, invite, organisation, registration, respond


def start(month: int) -> dict[str, str]:
    moment = datetime(2027, month, 10, 8, tzinfo=UTC)
    return {"starts_at": moment.isoformat(), "ends_at": moment.replace(hour=15).isoformat()}


@pytest.fixture
def events(make_event: Any) -> dict[str, Any]:
    a = make_event(title="Dag A", **start(3))
    b = make_event(title="Dag B", **start(5))
    c = make_event(title="Dag C", **start(7))
    org = organisation("stockholm", "2120000142", "SE", "municipality")
    p = registration(b, org, "p@x.se")
    db.session.commit()
    anonymous_a = build_survey(a, QUESTIONS, anonymous=True)
    for used in ("yes", "yes", "no"):
        respond(anonymous_a, a, used, None, group="supplier")
    for used in ("yes", "no", "no", "no", "no"):
        respond(anonymous_a, a, used, None)
    named = build_survey(b, QUESTIONS, anonymous=False)
    respond(named, b, "yes", None, invite(named, p, True), org)
    anonymous_c = build_survey(c, QUESTIONS, anonymous=True)
    for _ in range(2):
        respond(anonymous_c, c, "yes", None)
    db.session.commit()
    return {"a": a, "b": b, "c": c}


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def groups(body: dict[str, Any], key: str) -> dict[str, tuple[int | None, bool]]:
    return {g["value"]: (g["funnel"]["adopted"], g["suppressed"]) for g in body[key]}


def test_the_api_withholds_small_anonymous_groups(events, client, auth):
    body = client.get("/api/v1/reports/impact", headers=auth).get_json()
    assert (body["funnel"]["adopted"], body["suppressed"]) == (6, False)
    assert groups(body, "by_target_group") == {
        "contracting_authority": (4, False),
        "supplier": (None, True),
    }
    by_event = groups(body, "by_event")
    assert by_event[events["a"].slug] == (3, False)
    assert by_event[events["b"].slug] == (1, False)
    assert by_event[events["c"].slug] == (None, True)
    assert groups(body, "by_month") == {
        "2027-03": (3, False),
        "2027-05": (1, False),
        "2027-07": (None, True),
    }
    only_c = client.get(f"/api/v1/reports/impact?event={events['c'].slug}", headers=auth).get_json()
    assert (only_c["funnel"]["adopted"], only_c["suppressed"]) == (None, True)


def test_the_page_and_the_csv_say_fewer_than_5(events, client, login):
    login()
    text = client.get("/manage/impact").get_data(as_text=True)
    suppliers = text.split("Leverantörer", 1)[1].split("</tr>", 1)[0]
    assert "färre än 5" in suppliers  # the page is in Swedish by default
    rows = csv_rows(client.get("/manage/impact.csv?sep=comma"))
    assert rows[1][:2] == ["Alla", "Personer"] and rows[1][-1] == "6"  # in all: shown
    by_group = {row[1]: row[-1] for row in rows}
    assert by_group["Leverantörer"] == "färre än 5"
    assert by_group["Upphandlande myndigheter"] == "4"
    assert by_group["Dag C"] == "färre än 5"
    only_c = csv_rows(client.get(f"/manage/impact.csv?sep=comma&event={events['c'].id}"))
    assert only_c[1][-1] == "färre än 5"
