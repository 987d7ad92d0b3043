"""Every message a registrant can get from the API exists in Swedish, English and Finnish.

Each bad input is sent three times, asking for sv, en and fi; the field's message (and the
error's headline) must be there in all three and be three different texts, so an untranslated
message (which falls back to the English msgid) fails here."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import utcnow
from events.services import cancel_event
from tests.participants.helpers import person

LANGS = ("sv", "en", "fi")

BAD_INPUTS = [
    ("name", {"name": ""}),
    ("name", {"name": "x" * 201}),
    ("email", {"email": "not-an-email"}),
    ("organisation", {"organisation": {"name": "", "country": "SE"}}),
    ("org_number", {"organisation": {"name": "X", "org_number": "212000-0143"}}),
    ("org_number", {"organisation": {"name": "X", "org_number": "811218-9876"}}),
    ("org_number", {"organisation": {"name": "X", "org_number": "12345"}}),
    ("org_number", {"organisation": {"name": "X", "org_number": "0201256-5", "country": "FI"}}),
    ("org_number", {"organisation": {"name": "X", "org_number": "02-5", "country": "FI"}}),
    ("country", {"organisation": {"name": "X", "country": "NO"}}),
    ("target_group", {"target_group": "press"}),
    ("role", {"role": "r" * 201}),
    ("language", {"language": "de"}),
    ("sessions", {"sessions": [999999]}),
    ("needs", {"needs": "n" * 2001}),
]


def in_three_languages(client, method: str, url: str, **kw) -> dict[str, dict]:
    answers = {}
    for lang in LANGS:
        response = getattr(client, method)(url, headers={"Accept-Language": lang}, **kw)
        answers[lang] = response.get_json()["error"]
    return answers


def assert_translated(texts: dict[str, str]) -> None:
    assert all(texts[lang].strip() for lang in LANGS), texts
    assert len(set(texts.values())) == 3, texts


@pytest.mark.parametrize(("field", "change"), BAD_INPUTS)
def test_field_messages_in_three_languages(client, make_event, field, change):
    event = make_event()
    url = f"/api/v1/events/{event.slug}/registrations"
    answers = in_three_languages(client, "post", url, json=person(1, **change))
    assert_translated({lang: answers[lang]["fields"][field] for lang in LANGS})
    assert_translated({lang: answers[lang]["message"] for lang in LANGS})


def test_overlapping_sessions_message_in_three_languages(client, make_event):
    from datetime import datetime

    from tests.conftest import event_data

    start = datetime.fromisoformat(event_data()["starts_at"])
    two_hours = [
        {
            "title": title,
            "starts_at": (start + timedelta(hours=i)).isoformat(),
            "ends_at": (start + timedelta(hours=i + 2)).isoformat(),
        }
        for i, title in enumerate(("A", "B"))
    ]
    event = make_event(sessions=two_hours)
    ids = [s.id for s in event.sessions]
    url = f"/api/v1/events/{event.slug}/registrations"
    answers = in_three_languages(client, "post", url, json=person(1, sessions=ids))
    assert_translated({lang: answers[lang]["fields"]["sessions"] for lang in LANGS})


def test_already_registered_in_three_languages(client, make_event):
    event = make_event()
    url = f"/api/v1/events/{event.slug}/registrations"
    client.post(url, json=person(1))
    answers = in_three_languages(client, "post", url, json=person(1))
    assert_translated({lang: answers[lang]["message"] for lang in LANGS})
    assert_translated({lang: answers[lang]["fields"]["email"] for lang in LANGS})


def test_closed_and_cancelled_in_three_languages(client, make_event, organiser):
    later = make_event(
        title="Later", registration_opens_at=(utcnow() + timedelta(days=1)).isoformat()
    )
    answers = in_three_languages(
        client, "post", f"/api/v1/events/{later.slug}/registrations", json=person(1)
    )
    assert_translated({lang: answers[lang]["message"] for lang in LANGS})

    off = make_event(title="Off")
    cancel_event(organiser, off)
    answers = in_three_languages(
        client, "post", f"/api/v1/events/{off.slug}/registrations", json=person(1)
    )
    assert_translated({lang: answers[lang]["message"] for lang in LANGS})


def test_malformed_json_and_unknown_token_in_three_languages(client, make_event):
    event = make_event()
    answers = in_three_languages(
        client,
        "post",
        f"/api/v1/events/{event.slug}/registrations",
        data="{oops",
        content_type="application/json",
    )
    assert_translated({lang: answers[lang]["message"] for lang in LANGS})
    answers = in_three_languages(client, "get", "/api/v1/registrations/no-such-token")
    assert_translated({lang: answers[lang]["message"] for lang in LANGS})


def test_full_session_on_change_in_three_languages(client, make_event):
    from datetime import datetime

    from tests.conftest import event_data
    from tests.participants.helpers import sessions_for

    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, 1, None))
    small, large = (s.id for s in event.sessions)
    url = f"/api/v1/events/{event.slug}/registrations"
    client.post(url, json=person(1, sessions=[small]))
    token = client.post(url, json=person(2, sessions=[large])).get_json()["token"]
    answers = in_three_languages(
        client, "patch", f"/api/v1/registrations/{token}", json={"sessions": [small]}
    )
    assert_translated({lang: answers[lang]["fields"]["sessions"] for lang in LANGS})
