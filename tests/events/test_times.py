"""Local times around the clock changes, in the API and in the organisers' forms.

02:30 on the last Sunday of March does not exist in Europe/Stockholm (the clocks go from 02:00
to 03:00): 422 naming the field. 02:30 on the last Sunday of October happens twice: it is
read as the first of the two (summer time, +02:00)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core.db import db
from events.models import Event, Session
from tests.conftest import event_data
from tests.core.helpers import all_row_counts

SPRING = "2027-03-28"  # last Sunday of March 2027
AUTUMN = "2027-10-31"  # last Sunday of October 2027
GAP_MESSAGE = "02:30 on 2027-03-28 does not exist in Europe/Stockholm: the clocks go forward then."


def _post(client, auth, **overrides):
    return client.post(
        "/api/v1/events",
        json=event_data(**overrides),
        headers={**auth, "Accept-Language": "en"},
    )


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (f"{SPRING}T02:30", f"{SPRING}T05:00", "starts_at"),
        (f"{SPRING}T01:00", f"{SPRING}T02:30", "ends_at"),
        # Today this pair was a 500: the end is after the start on the wall clock only.
        (f"{SPRING}T02:30", f"{SPRING}T03:15", "starts_at"),
    ],
)
def test_api_refuses_a_time_the_clocks_skip(client, auth, starts, ends, field):
    before = all_row_counts()
    response = _post(client, auth, starts_at=starts, ends_at=ends, status="draft")
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["error"]["fields"][field]
    assert message.startswith(GAP_MESSAGE)
    assert all_row_counts() == before


def test_the_gap_depends_on_the_zone(client, auth):
    # Helsinki moves from 03:00 to 04:00, an hour after Stockholm.
    response = _post(
        client,
        auth,
        timezone="Europe/Helsinki",
        starts_at=f"{SPRING}T03:30",
        ends_at=f"{SPRING}T06:00",
    )
    assert response.status_code == 422
    assert (
        "does not exist in Europe/Helsinki" in response.get_json()["error"]["fields"]["starts_at"]
    )
    response = _post(
        client,
        auth,
        timezone="Europe/Helsinki",
        starts_at=f"{SPRING}T02:30",
        ends_at=f"{SPRING}T06:00",
    )
    assert response.status_code == 201
    assert response.get_json()["starts_at"] == f"{SPRING}T02:30:00+02:00"


def test_api_refuses_a_session_in_the_gap(client, auth):
    response = _post(
        client,
        auth,
        starts_at=f"{SPRING}T00:00",
        ends_at=f"{SPRING}T06:00",
        sessions=[{"title": "Natt", "starts_at": f"{SPRING}T02:15", "ends_at": f"{SPRING}T04:00"}],
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["sessions[0].starts_at"].startswith(
        "02:15 on 2027-03-28 does not exist in Europe/Stockholm"
    )


def test_the_message_is_translated(client, auth):
    response = client.post(
        "/api/v1/events",
        json=event_data(starts_at=f"{SPRING}T02:30", ends_at=f"{SPRING}T05:00"),
        headers={**auth, "Accept-Language": "sv"},
    )
    assert response.get_json()["error"]["fields"]["starts_at"].startswith(
        "Klockan 02:30 den 2027-03-28 finns inte i Europe/Stockholm"
    )


def test_an_offset_given_in_the_gap_is_a_real_moment(client, auth):
    # 02:30+01:00 is 01:30 UTC, which is 03:30 summer time: an instant, not a wall time.
    response = _post(client, auth, starts_at=f"{SPRING}T02:30:00+01:00", ends_at=f"{SPRING}T05:00")
    assert response.status_code == 201
    assert response.get_json()["starts_at"] == f"{SPRING}T03:30:00+02:00"


def test_an_hour_that_happens_twice_is_the_first_of_the_two(client, auth):
    response = _post(client, auth, starts_at=f"{AUTUMN}T02:30", ends_at=f"{AUTUMN}T05:00")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["starts_at"] == f"{AUTUMN}T02:30:00+02:00"  # summer time, shown with it
    event = db.session.scalar(sa.select(Event).where(Event.slug == body["slug"]))
    assert event.starts_at.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_the_second_of_the_two_can_be_given_with_its_offset(client, auth):
    response = _post(client, auth, starts_at=f"{AUTUMN}T02:30:00+01:00", ends_at=f"{AUTUMN}T05:00")
    assert response.status_code == 201
    assert response.get_json()["starts_at"] == f"{AUTUMN}T02:30:00+01:00"


# --- the HTML forms ----------------------------------------------------------------------------


def _field_error(page: str, field: str) -> str:
    match = re.search(
        rf'<p class="govuk-error-message" id="{field}-error">'
        rf'<span class="govuk-visually-hidden">[^<]*</span> ([^<]*)</p>',
        page,
    )
    assert match, f"no error next to {field}"
    return html.unescape(match.group(1))


def _event_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Nattpasset",
        "kind": "workshop",
        "format": "in_person",
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "starts_at": f"{SPRING}T00:00",
        "ends_at": f"{SPRING}T06:00",
        "venue_name": "Stadshuset",
        "venue_city": "Stockholm",
        "target_group_supplier": "y",
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in(client, organiser, login):
    client.get("/?lang=en")
    login()
    return client


@pytest.mark.parametrize("field", ["starts_at", "ends_at", "registration_closes_at"])
def test_event_form_shows_the_gap_next_to_the_field(signed_in, field):
    before = all_row_counts()
    response = signed_in.post("/manage/events/new", data=_event_form(**{field: f"{SPRING}T02:30"}))
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), field).startswith(GAP_MESSAGE)
    assert all_row_counts() == before


def test_session_form_shows_the_gap_next_to_the_field(signed_in):
    created = signed_in.post("/manage/events/new", data=_event_form())
    assert created.status_code == 302, created.get_data(as_text=True)
    slug = created.location.rstrip("/").split("/")[-1]
    response = signed_in.post(
        f"/manage/events/{slug}/sessions/new",
        data={"title": "Pass", "starts_at": f"{SPRING}T01:30", "ends_at": f"{SPRING}T02:45"},
    )
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "ends_at").startswith(
        "02:45 on 2027-03-28 does not exist in Europe/Stockholm"
    )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Session)) == 0


def test_pages_show_the_repeated_hour_with_its_offset(client, make_event):
    first = make_event(starts_at=f"{AUTUMN}T02:30", ends_at=f"{AUTUMN}T05:00")
    page = client.get(f"/events/{first.slug}?lang=sv").get_data(as_text=True)
    assert "kl. 2.30 (UTC+2)–5.00" in page
    second = make_event(starts_at=f"{AUTUMN}T02:30:00+01:00", ends_at=f"{AUTUMN}T05:00")
    page = client.get(f"/events/{second.slug}?lang=en").get_data(as_text=True)
    assert "2:30 (UTC+1)–5:00" in page
    ordinary = make_event(starts_at=f"{AUTUMN}T09:00", ends_at=f"{AUTUMN}T12:00")
    assert "kl. 9.00–12.00" in client.get(f"/events/{ordinary.slug}?lang=sv").get_data(True)
