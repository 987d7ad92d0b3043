"""A survey's times are given and shown on its event's clock (Stockholm or Helsinki), or on
Stockholm's for a survey without an event, as an event's own times are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import db
from surveys.models import Survey
from surveys.services import create_survey


def _create(client, auth, **data):
    return client.post("/api/v1/surveys", json={"template": "feedback", **data}, headers=auth)


def test_a_naive_time_is_stockholm_time_and_an_offset_is_kept(client, auth):
    summer = _create(client, auth, send_at="2027-06-01T09:00")
    offset = _create(client, auth, send_at="2027-06-01T09:00+03:00")

    assert summer.status_code == 201, summer.get_json()
    assert db.session.get(Survey, summer.get_json()["id"]).send_at == datetime(
        2027, 6, 1, 7, 0, tzinfo=UTC
    )
    assert db.session.get(Survey, offset.get_json()["id"]).send_at == datetime(
        2027, 6, 1, 6, 0, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused_by_name(client, auth):
    answer = _create(client, auth, send_at="2027-03-28T02:30")

    assert answer.status_code == 422
    assert "send_at" in answer.get_json()["error"]["fields"]
    assert db.session.query(Survey).count() == 0


def test_a_helsinki_event_survey_is_shown_and_edited_on_helsinki_time(
    client, organiser, login, make_event
):
    start = datetime(2027, 5, 20, 6, 0, tzinfo=UTC)  # 9.00 in Helsinki
    event = make_event(
        timezone="Europe/Helsinki",
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=6)).isoformat(),
    )
    survey = create_survey(organiser, {"template": "feedback", "event": event.slug})
    login()

    page = client.get(f"/manage/surveys/{survey.id}").get_data(as_text=True)
    settings = client.get(f"/manage/surveys/{survey.id}/settings").get_data(as_text=True)

    # Sent a day after the end (15.00 in Helsinki, 12.00 UTC), shown on Helsinki's clock.
    assert survey.send_at == datetime(2027, 5, 21, 12, 0, tzinfo=UTC)
    assert "15.00" in page and "Helsingfors" in page and "UTC" not in page
    assert 'value="2027-06-20T15:00"' in settings  # closes 30 days later
    assert "Europe/Helsinki" in settings
