"""The registrants' emails carry the event's texts in the recipient's language: the snapshot
the worker writes from (events.facts) takes the translation where there is one and the event's
own text otherwise."""

from __future__ import annotations

from participants import services
from tests.participants.helpers import outbox, person, unfold

FI_TITLE = "Työllistämisehto käytännössä"


def _event(make_event):
    return make_event(
        starts_at="2030-05-20T09:00",
        ends_at="2030-05-20T16:00",
        translations={"fi": {"title": FI_TITLE, "description": "Miten ehto kirjoitetaan."}},
        sessions=[
            {
                "title": "Välkomna",
                "starts_at": "2030-05-20T10:00",
                "ends_at": "2030-05-20T11:00",
                "translations": {"fi": {"title": "Tervetuloa"}},
            },
            {"title": "Avslutning", "starts_at": "2030-05-20T15:00", "ends_at": "2030-05-20T16:00"},
        ],
    )


def test_a_finnish_registrant_gets_the_finnish_texts(make_event):
    event = _event(make_event)
    services.register(event, person(1, language="fi", sessions=[s.id for s in event.sessions]))
    [message] = outbox("confirmed")
    facts = message.facts
    assert facts["event"]["title"] == FI_TITLE and facts["event"]["title_lang"] == "fi"
    assert facts["event"]["description"] == "Miten ehto kirjoitetaan."
    # The second session has no Finnish title: its Swedish one, said to be Swedish.
    assert [(s["title"], s["title_lang"]) for s in facts["sessions"]] == [
        ("Tervetuloa", "fi"),
        ("Avslutning", "sv"),
    ]
    assert FI_TITLE in message.subject and FI_TITLE in message.body_text
    assert "Tervetuloa" in message.body_text
    invitation = unfold(message.attachments[0]["data"])
    assert f"SUMMARY:{FI_TITLE}" in invitation


def test_others_get_the_own_text_where_there_is_no_translation(make_event):
    event = _event(make_event)
    services.register(event, person(1, language="en"))
    services.register(event, person(2, language="sv"))
    english, swedish = outbox("confirmed")
    assert english.facts["event"]["title"] == "Sysselsättningskrav i praktiken"
    assert english.facts["event"]["title_lang"] == "sv"
    assert swedish.facts["event"]["title"] == "Sysselsättningskrav i praktiken"
    assert FI_TITLE not in english.body_text + swedish.body_text


def test_the_api_registration_takes_the_same_snapshot(client, make_event):
    """The API registers from a record of the event read without the ORM (events.records):
    its snapshot is the same, translations included."""
    event = _event(make_event)
    body = person(1, language="fi", sessions=[event.sessions[0].id])
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sessions"][0]["title"] == "Välkomna"  # the API's own text
    [message] = outbox("confirmed")
    assert message.facts["event"]["title"] == FI_TITLE
    assert message.facts["event"]["title_lang"] == "fi"
    assert [(s["title"], s["title_lang"]) for s in message.facts["sessions"]] == [
        ("Tervetuloa", "fi")
    ]
    assert FI_TITLE in message.subject
