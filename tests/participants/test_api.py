"""JSON API v1 for registrations: what a client sends and gets back."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.auth import create_api_token, create_organiser
from core.db import db
from events.services import cancel_event
from participants.models import Registration
from tests.conftest import event_data
from tests.participants.helpers import outbox, person, row_counts, sessions_for

EN = {"Accept-Language": "en"}


def post(client, event, body, **kw):
    return client.post(f"/api/v1/events/{event.slug}/registrations", json=body, headers=EN, **kw)


# --- registering -------------------------------------------------------------------------------


def test_register_confirmed(client, make_event):
    event = make_event(capacity=5)
    response = post(client, event, person(1))
    assert response.status_code == 201
    body = response.get_json()
    registration = db.session.query(Registration).one()
    assert body["token"] == registration.token
    assert len(body["token"]) >= 22  # at least 128 random bits, URL-safe
    assert body["status"] == "confirmed"
    assert body["waitlist_position"] is None
    assert body["manage_url"] == f"http://localhost/r/{registration.token}"
    assert "reason" not in body
    assert body["event"]["slug"] == event.slug


def test_register_waitlisted_with_position_and_reason(client, make_event):
    event = make_event(capacity=1)
    assert post(client, event, person(1)).get_json()["status"] == "confirmed"
    second = post(client, event, person(2)).get_json()
    third = post(client, event, person(3)).get_json()
    assert (second["status"], second["waitlist_position"], second["reason"]) == (
        "waitlisted",
        1,
        "event",
    )
    assert third["waitlist_position"] == 2


def test_register_waitlisted_for_a_full_session(client, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, 1))
    session_id = event.sessions[0].id
    assert post(client, event, person(1, sessions=[session_id])).status_code == 201
    body = post(client, event, person(2, sessions=[session_id])).get_json()
    assert (body["status"], body["reason"]) == ("waitlisted", "session")
    assert body["sessions"] == [{"id": session_id, "title": "Pass 1"}]


def test_second_registration_is_409_and_the_link_is_sent_again(client, make_event):
    event = make_event()
    first = post(client, event, person(1)).get_json()
    response = post(client, event, person(1, name="Another Name"))
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "already_registered"
    assert "sent the link" in error["message"]
    assert first["token"] not in response.get_data(as_text=True)
    assert "confirmed" not in response.get_data(as_text=True)
    assert len(outbox("manage_link", "maja1@stockholm.se")) == 1
    assert db.session.query(Registration).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"organisation": {"name": "", "country": "SE"}}, "organisation", "organisation's name"),
        ({"organisation": "Stockholm"}, "organisation", "Expected an object."),
        (
            {"organisation": {"name": "X", "org_number": "212000-0143", "country": "SE"}},
            "org_number",
            "check digit is wrong",
        ),
        (
            {"organisation": {"name": "X", "org_number": "811218-9876", "country": "SE"}},
            "org_number",
            "personal identity number",
        ),
        (
            {"organisation": {"name": "X", "org_number": "0201256-5", "country": "FI"}},
            "org_number",
            "business ID's check digit",
        ),
        ({"organisation": {"name": "X", "country": "NO"}}, "country", "Sweden, Finland"),
        ({"target_group": "press"}, "target_group", "target groups this event is for"),
        ({"target_group": "decision_maker"}, "target_group", "target groups this event is for"),
        ({"role": "r" * 201}, "role", "At most 200 characters."),
        ({"language": "de"}, "language", "Swedish, English or Finnish"),
        ({"sessions": [999999]}, "sessions", "event's agenda"),
        ({"sessions": "1"}, "sessions", "Must be a list."),
        ({"sessions": ["1"]}, "sessions[0]", "Must be a whole number."),
        ({"needs": "n" * 2001}, "needs", "At most 2000 characters."),
    ],
)
def test_each_bad_field_gets_its_message_and_nothing_is_written(
    client, make_event, change, field, message
):
    event = make_event()
    before = row_counts()
    response = post(client, event, person(1, **change))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Some fields need correcting."
    assert set(error["fields"]) == {field}
    assert message in error["fields"][field]
    assert row_counts() == before


def test_several_bad_fields_at_once(client, make_event):
    event = make_event()
    response = post(client, event, {"email": "x", "target_group": "nope"})
    fields = response.get_json()["error"]["fields"]
    assert {"name", "email", "organisation", "target_group"} <= set(fields)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "", '"text"', '{"a": NaN}'])
def test_malformed_json_is_400(client, make_event, raw):
    event = make_event()
    before = row_counts()
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        data=raw,
        content_type="application/json",
        headers=EN,
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"
    assert row_counts() == before


def test_unknown_and_draft_events_are_404(client, make_event):
    draft = make_event(status="draft")
    assert post(client, draft, person(1)).status_code == 404
    response = client.post("/api/v1/events/no-such-event/registrations", json=person(1))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_closed_and_cancelled_events_have_their_own_codes(client, make_event, organiser):
    from datetime import timedelta

    from core.db import utcnow

    not_open = make_event(
        title="Later", registration_opens_at=(utcnow() + timedelta(days=1)).isoformat()
    )
    response = post(client, not_open, person(1))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "registration_closed"
    assert response.get_json()["error"]["message"] == "Registration has not opened yet."

    cancelled = make_event(title="Off")
    cancel_event(organiser, cancelled)
    response = post(client, cancelled, person(1))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "event_cancelled"
    assert db.session.query(Registration).count() == 0


# --- the person's own registration -------------------------------------------------------------


def test_read_change_and_cancel_by_token(client, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(capacity=1, sessions=sessions_for(start, None, None))
    a, b = (s.id for s in event.sessions)
    token = post(client, event, person(1, sessions=[a])).get_json()["token"]
    waiting = post(client, event, person(2)).get_json()["token"]

    body = client.get(f"/api/v1/registrations/{token}", headers=EN).get_json()
    assert body["status"] == "confirmed"
    assert body["sessions"] == [{"id": a, "title": "Pass 1"}]
    assert body["event"]["title"] == event.title

    body = client.patch(f"/api/v1/registrations/{token}", json={"sessions": [b]}).get_json()
    assert body["sessions"] == [{"id": b, "title": "Pass 2"}]
    response = client.patch(f"/api/v1/registrations/{token}", json={"sessions": "x"}, headers=EN)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"sessions"}

    response = client.delete(f"/api/v1/registrations/{token}")
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["waitlist_position"] is None
    promoted = client.get(f"/api/v1/registrations/{waiting}").get_json()
    assert promoted["status"] == "confirmed"


def test_unknown_token_is_404(client, app):
    for method in ("get", "delete"):
        response = getattr(client, method)("/api/v1/registrations/nope", headers=EN)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


# --- organisers --------------------------------------------------------------------------------


def test_organiser_lists_registrations_with_counts_and_filters(client, make_event, auth):
    event = make_event(capacity=1)
    post(client, event, person(1))
    post(client, event, person(2, target_group="supplier"))
    url = f"/api/v1/events/{event.slug}/registrations"
    body = client.get(url, headers=auth).get_json()
    assert [r["email"] for r in body["registrations"]] == [
        "maja1@stockholm.se",
        "maja2@stockholm.se",
    ]
    first = body["registrations"][0]
    assert first["organisation"] == {
        "name": "Stockholms stad",
        "org_number": "212000-0142",
        "country": "SE",
    }
    assert "needs" not in first
    assert body["counts"]["by_status"] == {"confirmed": 1, "waitlisted": 1, "cancelled": 0}
    assert body["counts"]["by_target_group"]["supplier"]["waitlisted"] == 1

    waiting = client.get(url + "?status=waitlisted", headers=auth).get_json()["registrations"]
    assert [(r["email"], r["waitlist_position"]) for r in waiting] == [("maja2@stockholm.se", 1)]
    suppliers = client.get(url + "?target_group=supplier", headers=auth).get_json()
    assert len(suppliers["registrations"]) == 1
    assert client.get(url + "?status=maybe", headers=auth).status_code == 422


def test_organiser_endpoints_need_a_token_of_an_organiser_of_the_event(client, make_event):
    event = make_event()
    token = post(client, event, person(1)).get_json()["token"]
    url = f"/api/v1/events/{event.slug}/registrations"
    assert client.get(url).status_code == 401
    assert client.post(f"/api/v1/registrations/{token}/check-in").status_code == 401
    stranger = create_organiser("other@vantaa.fi", "Other", "other-pass")
    headers = {"Authorization": f"Bearer {create_api_token(stranger)}"}
    assert client.get(url, headers=headers).status_code == 403
    response = client.post(f"/api/v1/registrations/{token}/check-in", headers=headers)
    assert response.status_code == 403
    assert db.session.query(Registration).one().attended_at is None


def test_check_in_and_undo(client, make_event, auth):
    event = make_event(capacity=1)
    token = post(client, event, person(1)).get_json()["token"]
    waiting = post(client, event, person(2)).get_json()["token"]
    response = client.post(f"/api/v1/registrations/{token}/check-in", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["attended_at"]
    assert db.session.query(Registration).filter_by(token=token).one().attended_at
    undo = client.post(
        f"/api/v1/registrations/{token}/check-in", json={"attended": False}, headers=auth
    )
    assert undo.get_json()["attended_at"] is None
    refused = client.post(f"/api/v1/registrations/{waiting}/check-in", headers=auth | EN)
    assert refused.status_code == 422
    assert "Only a confirmed registration" in refused.get_json()["error"]["fields"]["status"]


# --- rate limit and OpenAPI --------------------------------------------------------------------


def test_public_endpoints_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="3 per minute")
    with app.app_context():
        from tests.conftest import event_data as data

        organiser = create_organiser("rl@stockholm.se", "RL", "secret-pass")
        from events.services import create_event

        event = create_event(organiser, data())
        client = app.test_client()
        codes = [post(client, event, person(n)).status_code for n in range(4)]
        assert codes == [201, 201, 201, 429]
        response = post(client, event, person(9))
        assert response.status_code == 429
        error = response.get_json()["error"]
        assert error["code"] == "rate_limited"
        assert error["message"]
        assert db.session.query(Registration).count() == 3


def test_openapi_describes_every_registration_endpoint(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert set(paths["/api/v1/events/{slug}/registrations"]) >= {"get", "post"}
    assert set(paths["/api/v1/registrations/{token}"]) >= {"get", "delete", "patch"}
    assert "post" in paths["/api/v1/registrations/{token}/check-in"]
    for name in ("RegistrationInput", "Registration", "RegistrationCreated"):
        assert name in document["components"]["schemas"]


@pytest.mark.parametrize(("name", "field"), [("Anna\u0000", "name"), ("a\ud800", "name")])
def test_nul_or_a_lone_surrogate_in_a_registration_is_422_and_nothing_is_written(
    client, make_event, name, field
):
    import json

    event = make_event()
    before = row_counts()
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        data=json.dumps(person(1, name=name)),  # ensure_ascii: the surrogate as \\ud800
        content_type="application/json",
        headers=EN,
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {field}
    assert row_counts() == before
