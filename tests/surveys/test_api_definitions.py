"""JSON API v1 for surveys: create from a template, read back with texts in the request's
language; errors in the standard envelope; the answers match the OpenAPI document."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS31Validator, validate

from core.auth import create_api_token, create_organiser


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _valid(document, body, name):
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    validate(body, schema, cls=OAS31Validator)


def test_create_and_read_a_followup(client, auth, document, make_event):
    event = make_event()
    created = client.post(
        "/api/v1/surveys",
        json={"template": "adoption_followup", "event": event.slug, "audience": "attendees",
              "anonymous": False, "send_after_days": 60, "reminders": {"max": 1,
                                                                      "every_days": 10}},
        headers=auth,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    survey_id = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/api/v1/surveys/{survey_id}")
    got = client.get(f"/api/v1/surveys/{survey_id}", headers={**auth, "Accept-Language": "en"})
    assert got.status_code == 200
    body = got.get_json()
    _valid(document, body, "Survey")
    assert body["event"] == event.slug and body["send_after_days"] == 60
    assert body["reminders"] == {"max": 1, "every_days": 10}
    first = body["questions"][0]
    assert first["code"] == "used_employment_requirements" and first["required"]
    assert [o["code"] for o in first["options"]] == ["yes", "planned", "no"]
    suppliers = {q["code"] for q in body["questions"] if q["target_groups"] == ["supplier"]}
    assert suppliers == {"contracts_won", "people_hired"}


@pytest.mark.parametrize("lang, text", [("en", "Was the event useful to you?"),
                                        ("fi", "Oliko tapahtumasta sinulle hyötyä?"),
                                        ("sv", "Var evenemanget användbart för dig?")])  # fmt: skip
def test_texts_in_the_request_language(client, auth, make_event, lang, text):
    data = {"template": "feedback", "event": make_event().slug}
    created = client.post("/api/v1/surveys", json=data, headers=auth)
    survey_id = created.get_json()["id"]
    body = client.get(f"/api/v1/surveys/{survey_id}?lang={lang}",
                      headers={**auth, "Accept-Language": lang}).get_json()  # fmt: skip
    assert body["questions"][0]["text"] == text
    assert body["questions"][0]["type"] == "likert5"


@pytest.mark.parametrize(
    "data, status, field",
    [
        ({"template": "nope"}, 422, "template"),
        ({"template": "feedback", "event": "no-such-event"}, 422, "event"),
        ({"template": "feedback", "reminders": {"max": 9}}, 422, "reminders.max"),
        ({"template": "feedback", "reminders": {"every_days": 0}}, 422, "reminders.every_days"),
        ({"template": "feedback", "audience": ["nobody"]}, 422, "audience"),
    ],
)
def test_bad_input_in_the_error_envelope(client, auth, data, status, field):
    answer = client.post("/api/v1/surveys", json=data, headers=auth)
    assert answer.status_code == status
    error = answer.get_json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_swedish_messages(client, auth):
    answer = client.post("/api/v1/surveys", json={"template": "nope"},
                         headers={**auth, "Accept-Language": "sv"})  # fmt: skip
    assert answer.get_json()["error"]["fields"]["template"] != (
        "Choose a template: feedback or adoption follow-up."
    )


def test_someone_elses_event_and_survey(client, auth, make_event):
    other = create_organiser("bo@example.se", "Bo", "secret-pass")
    other_auth = {"Authorization": f"Bearer {create_api_token(other)}"}
    event = make_event()
    refused = client.post("/api/v1/surveys", json={"template": "feedback", "event": event.slug},
                          headers=other_auth)  # fmt: skip
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    created = client.post("/api/v1/surveys", json={"template": "feedback", "event": event.slug},
                          headers=auth)  # fmt: skip
    survey_id = created.get_json()["id"]
    hidden = client.get(f"/api/v1/surveys/{survey_id}", headers=other_auth)
    assert hidden.status_code == 404 and hidden.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/surveys/999999", headers=auth).status_code == 404
    assert client.get("/api/v1/surveys/2147483648", headers=auth).status_code == 404


def test_a_token_is_needed(client):
    assert client.post("/api/v1/surveys", json={"template": "feedback"}).status_code == 401
    assert client.get("/api/v1/surveys/1").status_code == 401


def test_the_document_lists_the_operations(document):
    assert "/api/v1/surveys" in document["paths"]
    assert "/api/v1/surveys/{survey_id}" in document["paths"]
