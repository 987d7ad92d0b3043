"""JSON API v1 for events: what another system sees and may do with a token."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.auth import create_api_token, create_organiser
from core.db import db
from events.models import Event
from events.schemas import event_summary
from tests.conftest import event_data

EVENT_FIELDS = {
    "slug",
    "title",
    "kind",
    "format",
    "language",
    "timezone",
    "starts_at",
    "ends_at",
    "venue",
    "capacity",
    "status",
    "target_groups",
    "url",
    "ical_url",
}


def _create(client, auth, **overrides: Any):
    return client.post("/api/v1/events", json=event_data(**overrides), headers=auth)


def _count_events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event))


def _other_auth() -> dict[str, str]:
    other = create_organiser("olle@vantaa.fi", "Olle Other", "other-pass")
    return {"Authorization": f"Bearer {create_api_token(other)}"}


# --- reading ---------------------------------------------------------------------------------


def test_list_shows_published_upcoming_events_with_every_field(client, make_event):
    make_event(title="Workshop Göteborg")
    make_event(title="Utkast", status="draft")
    start = datetime(2030, 3, 12, 9, 0)
    make_event(
        title="Online webinar",
        format="online",
        venue=None,
        kind="webinar",
        language="en",
        timezone="Europe/Helsinki",
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
    )

    response = client.get("/api/v1/events")

    assert response.status_code == 200
    events = response.get_json()["events"]
    assert [e["title"] for e in events] == ["Workshop Göteborg", "Online webinar"]
    for event in events:
        assert set(event) >= EVENT_FIELDS
    workshop, webinar = events
    assert workshop["venue"] == {
        "name": "Stadshuset",
        "address": "Hantverkargatan 1",
        "city": "Stockholm",
        "country": "Sverige",
    }
    assert workshop["target_groups"] == [
        {"code": "contracting_authority", "quota": None},
        {"code": "supplier", "quota": 30},
    ]
    assert workshop["url"] == "http://localhost/events/workshop-goteborg"
    assert workshop["ical_url"] == "http://localhost/events/workshop-goteborg.ics"
    assert webinar["venue"] is None
    # In the event's own zone, with its offset: Helsinki in March is UTC+2.
    assert webinar["starts_at"] == "2030-03-12T09:00:00+02:00"
    assert webinar["ends_at"] == "2030-03-12T11:00:00+02:00"
    assert webinar["timezone"] == "Europe/Helsinki"
    assert client.get(webinar["ical_url"].removeprefix("http://localhost")).status_code == 200


def test_past_events_are_listed_apart(client, make_event):
    make_event(title="Kommande")
    make_event(
        title="Förra året",
        starts_at="2025-05-20T09:00:00+02:00",
        ends_at="2025-05-20T15:00:00+02:00",
    )

    upcoming = client.get("/api/v1/events").get_json()["events"]
    past = client.get("/api/v1/events?past=1").get_json()["events"]

    assert [e["title"] for e in upcoming] == ["Kommande"]
    assert [e["title"] for e in past] == ["Förra året"]


def test_cancelled_events_stay_listed_as_cancelled(client, auth, make_event):
    event = make_event()
    assert client.post(f"/api/v1/events/{event.slug}/cancel", headers=auth).status_code == 200

    (listed,) = client.get("/api/v1/events").get_json()["events"]

    assert listed["status"] == "cancelled"


def test_list_is_paginated_with_a_next_link(client, make_event):
    for n in range(3):
        start = datetime(2031, 1, 10 + n, 9, 0)
        make_event(
            title=f"Event {n}",
            starts_at=start.isoformat(),
            ends_at=(start + timedelta(hours=3)).isoformat(),
        )

    first = client.get("/api/v1/events?per_page=2").get_json()
    assert [e["title"] for e in first["events"]] == ["Event 0", "Event 1"]
    assert (first["total"], first["pages"], first["page"]) == (3, 2, 1)
    assert first["next"] == "http://localhost/api/v1/events?per_page=2&page=2"

    second = client.get(first["next"].removeprefix("http://localhost")).get_json()
    assert [e["title"] for e in second["events"]] == ["Event 2"]
    assert second["next"] is None


@pytest.mark.parametrize("query", ["page=abc", "page=0", "per_page=1000", "per_page=-1"])
def test_bad_page_numbers_are_named(client, query):
    response = client.get(f"/api/v1/events?{query}")

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {query.split("=")[0]}


def test_list_queries_do_not_grow_with_events(client, make_event):
    def queries() -> int:
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        db.session.expire_all()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/api/v1/events").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(3):
        make_event()
    with_three = queries()
    for _ in range(12):
        make_event()

    assert queries() == with_three
    assert len(client.get("/api/v1/events").get_json()["events"]) == 15


def test_list_filters_by_language(client, make_event):
    make_event(title="På svenska")
    make_event(title="Suomeksi", language="fi")

    events = client.get("/api/v1/events?language=fi").get_json()["events"]

    assert [e["title"] for e in events] == ["Suomeksi"]


def test_detail_has_description_and_sessions(client, make_event):
    event = make_event(
        starts_at="2030-05-20T09:00",
        ends_at="2030-05-20T16:00",
        timezone="Europe/Helsinki",
        sessions=[
            {
                "title": "Työllistämisehto Helsingissä",
                "starts_at": "2030-05-20T10:00",
                "ends_at": "2030-05-20T11:30",
                "room": "Sali 2",
                "capacity": 25,
                "speakers": [{"name": "Maija Virtanen", "organisation": "Helsingin kaupunki"}],
            }
        ],
    )

    body = client.get(f"/api/v1/events/{event.slug}").get_json()

    assert EVENT_FIELDS | {"description", "sessions"} <= set(body)
    assert body["description"] == "Hur man **ställer** krav."
    (session,) = body["sessions"]
    assert session == {
        "id": event.sessions[0].id,
        "title": "Työllistämisehto Helsingissä",
        "description": "",
        "translations": {},
        "starts_at": "2030-05-20T10:00:00+03:00",
        "ends_at": "2030-05-20T11:30:00+03:00",
        "room": "Sali 2",
        "capacity": 25,
        "speakers": [{"name": "Maija Virtanen", "organisation": "Helsingin kaupunki"}],
    }
    assert "online_url" not in body  # for registrants and organisers only


def test_draft_is_hidden_from_the_public_and_other_organisers(client, auth, make_event):
    draft = make_event(status="draft", online_url="https://meet.example/abc")
    path = f"/api/v1/events/{draft.slug}"

    assert client.get(path).status_code == 404
    assert client.get(path).get_json()["error"]["code"] == "not_found"
    assert client.get(path, headers=_other_auth()).status_code == 404
    own = client.get(path, headers=auth)
    assert own.status_code == 200
    assert own.get_json()["status"] == "draft"
    assert own.get_json()["online_url"] == "https://meet.example/abc"
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_unknown_event_is_404(client):
    response = client.get("/api/v1/events/finns-inte")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_event_summary_for_other_features(make_event):
    event = make_event(format="online", venue=None)

    summary = event_summary(event).model_dump(mode="json")

    assert summary["slug"] == event.slug
    assert summary["venue"] is None
    assert summary["url"] == f"http://localhost/events/{event.slug}"
    assert summary["ical_url"] == f"http://localhost/events/{event.slug}.ics"
    assert EVENT_FIELDS - {"target_groups"} <= set(summary)


# --- creating --------------------------------------------------------------------------------


def test_create_with_naive_local_times_in_the_event_zone(client, auth, organiser):
    response = _create(
        client,
        auth,
        title="Työpaja Helsingissä",
        language="fi",
        timezone="Europe/Helsinki",
        starts_at="2030-05-20T09:00",
        ends_at="2030-05-20T15:30",
        registration_closes_at="2030-05-13T23:59",
        sessions=[
            {"title": "Avaus", "starts_at": "2030-05-20T09:00", "ends_at": "2030-05-20T09:30"}
        ],
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/v1/events/{body['slug']}"
    assert body["starts_at"] == "2030-05-20T09:00:00+03:00"
    assert body["registration_closes_at"] == "2030-05-13T23:59:00+03:00"
    assert body["sessions"][0]["title"] == "Avaus"
    assert body["status"] == "published"
    event = db.session.scalar(sa.select(Event).where(Event.slug == body["slug"]))
    assert event.starts_at == datetime(2030, 5, 20, 6, 0, tzinfo=UTC)
    assert event.created_by_id == organiser.id
    assert (
        client.get(response.headers["Location"].removeprefix("http://localhost")).status_code == 200
    )


def test_create_with_an_offset_is_shown_in_the_event_zone(client, auth):
    response = _create(
        client,
        auth,
        timezone="Europe/Helsinki",
        starts_at="2030-01-15T08:00:00+01:00",  # Stockholm winter time, Helsinki 09:00
        ends_at="2030-01-15T13:00:00Z",
    )

    assert response.status_code == 201
    assert response.get_json()["starts_at"] == "2030-01-15T09:00:00+02:00"
    assert response.get_json()["ends_at"] == "2030-01-15T15:00:00+02:00"


def test_create_is_a_draft_unless_published(client, auth):
    data = event_data()
    del data["status"]

    response = client.post("/api/v1/events", json=data, headers=auth)

    assert response.get_json()["status"] == "draft"
    assert client.get("/api/v1/events").get_json()["events"] == []


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}]
)
def test_create_needs_a_valid_token(client, organiser, headers):
    response = client.post("/api/v1/events", json=event_data(), headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert _count_events() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": ["Europe/Helsinki"]}, "timezone"),
        ({"starts_at": "2030-05-20T15:00", "ends_at": "2030-05-20T09:00"}, "ends_at"),
        (
            {
                "starts_at": "2030-05-20T09:00",
                "ends_at": "2030-05-20T12:00",
                "sessions": [
                    {
                        "title": "Sent",
                        "starts_at": "2030-05-20T11:00",
                        "ends_at": "2030-05-20T13:00",
                    }
                ],
            },
            "sessions[0].starts_at",
        ),
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"title": 42}, "title"),
        ({"target_groups": [{"code": "astronauts"}]}, "target_groups"),
        ({"target_groups": "supplier"}, "target_groups"),
        ({"target_groups": [{"code": "supplier", "quota": "many"}]}, "target_groups[0].quota"),
        ({"capacity": "abc"}, "capacity"),
        ({"capacity": -5}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"sessions": "keynote"}, "sessions"),
        ({"sessions": [42]}, "sessions[0]"),
        ({"sessions": [{"id": [1], "title": "X"}]}, "sessions[0].starts_at"),
        ({"starts_at": 42}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+05:00"}, "starts_at"),
        ({"kind": "party"}, "kind"),
        ({"format": ["online"]}, "format"),
        ({"language": "de"}, "language"),
        ({"venue": "Stadshuset"}, "venue"),
        ({"status": "cancelled"}, "status"),
        ({"registration_opens_at": "soon"}, "registration_opens_at"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
    ],
)
def test_create_rejects_bad_fields_by_name(client, auth, overrides, field):
    response = _create(client, auth, **overrides)

    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert error["fields"][field]
    assert _count_events() == 0


def test_huge_number_literal_is_a_named_field_error(client, auth):
    body = '{"title": "X", "kind": "workshop", "format": "online", "language": "sv", ' + (
        '"starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00", "capacity": 1e400}'
    )

    response = client.post(
        "/api/v1/events", data=body, content_type="application/json", headers=auth
    )

    assert response.status_code == 422
    assert "capacity" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '"a string"', "null", "", '{"capacity": NaN}', "\xff\xfe"],
)
def test_malformed_or_non_object_body_is_400(client, auth, body):
    response = client.post(
        "/api/v1/events", data=body.encode("latin-1"), content_type="application/json", headers=auth
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"
    assert _count_events() == 0


# --- changing --------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(client, auth, make_event):
    event = make_event()
    before = client.get(f"/api/v1/events/{event.slug}").get_json()

    response = client.patch(
        f"/api/v1/events/{event.slug}", json={"title": "Nytt namn"}, headers=auth
    )

    assert response.status_code == 200
    after = response.get_json()
    assert after["title"] == "Nytt namn"
    assert after["slug"] == before["slug"]
    for key in ("starts_at", "ends_at", "venue", "capacity", "target_groups", "timezone"):
        assert after[key] == before[key]


def test_patch_moves_the_event_in_its_zone(client, auth, make_event):
    event = make_event(timezone="Europe/Helsinki", starts_at="2030-05-20T09:00",
                       ends_at="2030-05-20T12:00")  # fmt: skip

    response = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"starts_at": "2030-05-21T10:00", "ends_at": "2030-05-21T13:00"},
        headers=auth,
    )

    assert response.status_code == 200
    assert response.get_json()["starts_at"] == "2030-05-21T10:00:00+03:00"


def test_patch_with_an_invalid_change_leaves_the_event_as_it_was(client, auth, make_event):
    event = make_event()
    before = client.get(f"/api/v1/events/{event.slug}").get_json()

    response = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"title": "Nytt", "ends_at": "2000-01-01T00:00:00+00:00"},
        headers=auth,
    )

    assert response.status_code == 422
    assert "ends_at" in response.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/events/{event.slug}").get_json() == before


def test_patch_cannot_unpublish(client, auth, make_event):
    event = make_event()

    response = client.patch(f"/api/v1/events/{event.slug}", json={"status": "draft"}, headers=auth)

    assert response.status_code == 422
    assert "status" in response.get_json()["error"]["fields"]


def test_patch_and_cancel_need_an_organiser_of_the_event(client, make_event):
    event = make_event()
    other = _other_auth()

    patch = client.patch(f"/api/v1/events/{event.slug}", json={"title": "Kapat"}, headers=other)
    cancel = client.post(f"/api/v1/events/{event.slug}/cancel", headers=other)

    assert patch.status_code == 403
    assert patch.get_json()["error"]["code"] == "forbidden"
    assert cancel.status_code == 403
    assert client.get(f"/api/v1/events/{event.slug}").get_json()["status"] == "published"


def test_admin_may_change_any_event(client, admin, make_event):
    event = make_event()
    headers = {"Authorization": f"Bearer {create_api_token(admin)}"}

    response = client.patch(f"/api/v1/events/{event.slug}", json={"capacity": 80}, headers=headers)

    assert response.status_code == 200
    assert response.get_json()["capacity"] == 80


def test_patch_errors(client, auth, make_event):
    event = make_event()
    path = f"/api/v1/events/{event.slug}"

    assert client.patch(path, json={"title": "X"}).status_code == 401
    assert client.patch("/api/v1/events/finns-inte", json={}, headers=auth).status_code == 404
    malformed = client.patch(path, data="[]", content_type="application/json", headers=auth)
    assert malformed.status_code == 400
    assert malformed.get_json()["error"]["code"] == "malformed_json"
    wrong = client.patch(path, json={"sessions": {"title": "x"}, "capacity": "abc"}, headers=auth)
    assert wrong.status_code == 422
    assert {"sessions", "capacity"} <= set(wrong.get_json()["error"]["fields"])


def test_cancel_answers_with_the_cancelled_event(client, auth, make_event):
    event = make_event()

    response = client.post(f"/api/v1/events/{event.slug}/cancel", headers=auth)

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert client.get(f"/api/v1/events/{event.slug}").get_json()["status"] == "cancelled"
    assert client.post("/api/v1/events/finns-inte/cancel", headers=auth).status_code == 404
    assert client.post(f"/api/v1/events/{event.slug}/cancel").status_code == 401


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/v1/events")

    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


# --- what the document promised (issue 6) ----------------------------------------------------


def test_create_without_target_groups_admits_every_group(client, auth, document_schema):
    from events.models import TARGET_GROUPS

    data = event_data()
    del data["target_groups"]

    response = client.post("/api/v1/events", json=data, headers=auth)

    assert response.status_code == 201, response.get_json()
    groups = response.get_json()["target_groups"]
    assert groups == [{"code": code, "quota": None} for code in TARGET_GROUPS]
    documented = document_schema("EventCreate")["properties"]["target_groups"]
    assert documented["default"] == list(TARGET_GROUPS)
    assert "target_groups" not in document_schema("EventCreate")["required"]


@pytest.fixture
def document_schema(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    return schemas.__getitem__


def test_every_time_in_the_api_has_the_events_offset(client, auth):
    """Registration and check-in times too, not only the event's (they came in UTC)."""
    data = event_data(timezone="Europe/Helsinki")
    event = client.post("/api/v1/events", json=data, headers=auth).get_json()
    person = {
        "name": "Aino",
        "email": "aino@example.fi",
        "organisation": {"name": "Helsingin kaupunki", "country": "FI"},
        "target_group": "supplier",
    }
    created = client.post(f"/api/v1/events/{event['slug']}/registrations", json=person)
    token = created.get_json()["token"]
    checked = client.post(f"/api/v1/registrations/{token}/check-in", headers=auth).get_json()
    listing = client.get(f"/api/v1/events/{event['slug']}/registrations", headers=auth).get_json()
    [row] = listing["registrations"]

    moments = [event["starts_at"], checked["attended_at"], row["registered_at"]]
    moments += [row["attended_at"], listing["event"]["starts_at"]]
    for moment in moments:
        parsed = datetime.fromisoformat(moment)
        offset = parsed.astimezone(ZoneInfo("Europe/Helsinki")).utcoffset()
        assert parsed.utcoffset() == offset, moment
        assert offset in (timedelta(hours=2), timedelta(hours=3))


# --- bodies that cannot be read or stored ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "a\\ud800"}', "title"),
        ('{"title": "a\\u0000b"}', "title"),
        ('{"venue": {"city": "\\udc00"}}', "venue.city"),
        ('{"sessions": [{"title": "x\\u0000"}]}', "sessions[0].title"),
        ('{"co_organisers": ["a@b.se", "\\ud83d"]}', "co_organisers[1]"),
        ('{"unknown\\u0000": 1}', "unknown\\x00"),
    ],
)
def test_nul_and_lone_surrogates_are_422_naming_the_field(client, auth, body, field):
    response = client.post(
        "/api/v1/events",
        data=body,
        content_type="application/json",
        headers={**auth, "Accept-Language": "en"},
    )

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {
        field: "This text holds a character that cannot be stored (NUL or a lone surrogate)."
    }
    assert _count_events() == 0


def test_a_pair_of_surrogate_escapes_is_one_character_and_fine(client, auth):
    response = client.post(
        "/api/v1/events",
        data=json.dumps(event_data(title="Möte \U0001f600"), ensure_ascii=True),
        content_type="application/json",
        headers=auth,
    )

    assert response.status_code == 201
    assert response.get_json()["title"] == "Möte \U0001f600"


@pytest.mark.parametrize("lang", ["sv", "fi", "en"])
def test_a_body_that_is_not_utf8_is_400_in_the_callers_language(client, auth, lang):
    response = client.post(
        f"/api/v1/events?lang={lang}",
        data='{"title": "Möte"}'.encode("latin-1"),
        content_type="application/json",
        headers=auth,
    )

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "malformed_json"
    expected = {
        "sv": "Innehållet är inte giltig UTF-8.",
        "fi": "Sisältö ei ole kelvollista UTF-8:aa.",
        "en": "The body is not valid UTF-8.",
    }
    assert error["message"] == expected[lang]


def test_type_errors_are_translated_not_pydantics(client, auth):
    response = client.post(
        "/api/v1/events",
        json=event_data(title=42, capacity="many", sessions=[{"id": "x"}], venue=[]),
        headers={**auth, "Accept-Language": "fi"},
    )

    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["title"] == "Arvon on oltava tekstiä."
    assert fields["capacity"] == "Arvon on oltava kokonaisluku."
    assert fields["sessions[0].id"] == "Arvon on oltava kokonaisluku."
    assert "sessions[0].title" in fields  # missing ones are named with the wrong ones
    assert "venue" in fields
    assert not any("Input should" in message for message in fields.values())


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/%00",
        "/api/v1/events/a%00b/registrations",
        "/api/v1/registrations/%00",
        "/api/v1/events?city=%00",
    ],
)
def test_nul_in_a_path_or_query_is_a_4xx_on_every_database(client, auth, path):
    response = client.get(path, headers=auth)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert "inte kan läsas" in error["message"]  # Swedish unless asked otherwise


@pytest.mark.parametrize(
    "url",
    [
        "",
        "  ",
        "https://meet.example/abc",
        " https://meet.example/abc ",
        "http://x",
        "javascript:alert(1)",
        "mailto:a@example.org",
        "https://a b",
        "HTTPS://x",
        "meet.example/abc",
    ],
)
def test_the_documented_join_link_is_what_the_api_takes(app, client, auth, url):
    from core.openapi import openapi_document

    with app.test_request_context():
        schema = openapi_document()["components"]["schemas"]["EventCreate"]
    documented = re.search(schema["properties"]["online_url"]["pattern"], url) is not None

    response = _create(client, auth, online_url=url)

    assert (response.status_code == 201) == documented, response.get_data(as_text=True)
