"""Event content in Swedish, English and Finnish: what organisers give (API and forms), what
visitors see (the page's language where it exists, else the event's own, marked with lang),
search, and the calendar feed."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from core.db import db
from events.content import localized
from events.models import Event
from tests.conftest import event_data
from tests.events.test_calendar import get_ics, read

EN_TITLE = "Employment requirements in practice"
FI_TITLE = "Työllistämisehto käytännössä"
FI_DESCRIPTION = "Miten **ehto** kirjoitetaan."
SESSION = {
    "title": "Välkomna",
    "description": "Om dagen.",
    "starts_at": "2030-05-20T10:00",
    "ends_at": "2030-05-20T11:00",
}
TIMES = {"starts_at": "2030-05-20T09:00", "ends_at": "2030-05-20T16:00"}


def translated(make_event, **overrides: Any) -> Event:
    """A Swedish event with an English title only and a whole Finnish translation; its one
    session has a Finnish title."""
    data = {
        "translations": {
            "en": {"title": EN_TITLE},
            "fi": {"title": FI_TITLE, "description": FI_DESCRIPTION},
        },
        "sessions": [{**SESSION, "translations": {"fi": {"title": "Tervetuloa"}}}],
        **TIMES,
    }
    return make_event(**(data | overrides))


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


# --- storage and the accessor ---------------------------------------------------------------


def test_translations_are_kept_without_empty_texts(make_event):
    event = make_event(
        translations={"en": {"title": f"  {EN_TITLE} ", "description": ""}, "fi": None}, **TIMES
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).translations == {"en": {"title": EN_TITLE}}


def test_localized_falls_back_field_by_field_to_the_own_language(app, make_event):
    event = translated(make_event)
    assert localized(event, "title", "fi") == (FI_TITLE, "fi")
    assert localized(event, "description", "fi") == (FI_DESCRIPTION, "fi")
    assert localized(event, "title", "en") == (EN_TITLE, "en")
    # No English description: the Swedish one, said to be Swedish.
    assert localized(event, "description", "en") == ("Hur man **ställer** krav.", "sv")
    assert localized(event, "title", "sv") == ("Sysselsättningskrav i praktiken", "sv")
    (session,) = event.sessions
    assert localized(session, "title", "fi") == ("Tervetuloa", "fi")
    assert localized(session, "title", "en") == ("Välkomna", "sv")


# --- the API ---------------------------------------------------------------------------------


def test_api_round_trip_of_event_and_session_translations(client, auth):
    body = event_data(
        translations={"en": {"title": EN_TITLE, "description": "How to **set** them."}},
        sessions=[{**SESSION, "translations": {"fi": {"title": "Tervetuloa"}}}],
        **TIMES,
    )
    created = client.post("/api/v1/events", json=body, headers=auth)
    assert created.status_code == 201, created.get_json()
    slug = created.get_json()["slug"]

    got = client.get(f"/api/v1/events/{slug}").get_json()
    assert got["title"] == "Sysselsättningskrav i praktiken"  # the own fields stay
    assert got["translations"] == {"en": {"title": EN_TITLE, "description": "How to **set** them."}}
    assert got["sessions"][0]["translations"] == {"fi": {"title": "Tervetuloa", "description": ""}}
    listed = client.get("/api/v1/events").get_json()["events"][0]
    assert listed["translations"] == got["translations"]

    # PATCH replaces the event's translations; a session sent without the key keeps its own.
    session = {**SESSION, "id": got["sessions"][0]["id"]}
    patched = client.patch(
        f"/api/v1/events/{slug}",
        json={"translations": {"fi": {"title": FI_TITLE}}, "sessions": [session]},
        headers=auth,
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["translations"] == {"fi": {"title": FI_TITLE, "description": ""}}
    assert patched.get_json()["sessions"][0]["translations"]["fi"]["title"] == "Tervetuloa"

    cleared = client.patch(f"/api/v1/events/{slug}", json={"translations": None}, headers=auth)
    assert cleared.get_json()["translations"] == {}


@pytest.mark.parametrize(
    ("translations", "field"),
    [
        ({"de": {"title": "Beschäftigung"}}, "translations.de"),
        ({"en": {"title": "x" * 201}}, "translations.en.title"),
        ({"fi": {"description": "x" * 50001}}, "translations.fi.description"),
        ({"sv": {"title": "Samma språk som evenemanget"}}, "translations.sv.title"),
        ({"en": "Employment"}, "translations.en"),
        ({"en": {"title": 5}}, "translations.en.title"),
        (["en"], "translations"),
        ({"en": {"title": "Bad \x00 byte"}}, "translations.en.title"),
        ({"en": {"description": "Lone \ud800 surrogate"}}, "translations.en.description"),
    ],
)
def test_api_refuses_bad_translations_naming_the_field(client, auth, translations, field):
    body = event_data(translations=translations)
    response = client.post(
        "/api/v1/events",
        data=_json(body),
        headers={**auth, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert set(error["fields"]) == {field}, error
    assert db.session.query(Event).count() == 0


def _json(body: dict[str, Any]) -> str:
    """JSON text, a lone surrogate written as its escape (as a client could send it)."""
    return json.dumps(body)


def test_api_names_a_session_translation_error(client, auth):
    body = event_data(
        sessions=[{**SESSION, "translations": {"fi": {"description": "x" * 10001}}}], **TIMES
    )
    response = client.post("/api/v1/events", json=body, headers=auth)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "sessions[0].translations.fi.description"
    }


def test_openapi_documents_translations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    create = schemas["EventCreate"]["properties"]["translations"]
    assert create["propertyNames"] == {"enum": ["sv", "en", "fi"]}
    assert "translations" in schemas["EventDetail"]["required"]
    assert "translations" in schemas["Session"]["properties"]


# --- what visitors see -----------------------------------------------------------------------


def test_finnish_page_shows_the_finnish_title_without_a_lang_of_its_own(client, make_event):
    event = translated(make_event)
    text = page(client, f"/events/{event.slug}?lang=fi")
    assert re.search(rf'<h1 class="[^"]*">{FI_TITLE}</h1>', text)  # no lang: the page's
    assert f"<title>{FI_TITLE}" in text
    assert re.search(r'<div class="description[^"]*"><p>Miten <strong>ehto</strong> kirj', text)
    assert re.search(r'<h4 class="[^"]*">Tervetuloa</h4>', text)
    # The session's description has no Finnish text: the Swedish one, marked Swedish.
    assert re.search(r'<div class="description[^"]*" lang="sv"><p>Om dagen.</p></div>', text)


def test_english_page_falls_back_to_swedish_marked_with_lang(client, make_event):
    event = translated(make_event)
    text = page(client, f"/events/{event.slug}?lang=en")
    assert re.search(rf'<h1 class="[^"]*">{EN_TITLE}</h1>', text)
    assert re.search(r'<div class="description[^"]*" lang="sv"><p>Hur man <strong>st', text)
    assert re.search(r'<h4 class="[^"]*" lang="sv">Välkomna</h4>', text)


def test_swedish_page_shows_the_own_text_unmarked(client, make_event):
    event = translated(make_event)
    text = page(client, f"/events/{event.slug}?lang=sv")
    assert re.search(r'<h1 class="[^"]*">Sysselsättningskrav i praktiken</h1>', text)
    assert FI_TITLE not in text and EN_TITLE not in text


def test_lists_show_the_page_language(client, make_event):
    event = translated(make_event)
    untranslated = make_event(title="Bara på svenska", **TIMES)
    text = page(client, "/?lang=fi")
    link = '<a class="govuk-link" href="/events/{}">{}</a></h3>'
    assert re.search(r'<h3 class="[^"]*">' + re.escape(link.format(event.slug, FI_TITLE)), text)
    assert re.search(
        r'<h3 class="[^"]*" lang="sv">'
        + re.escape(link.format(untranslated.slug, "Bara på svenska")),
        text,
    )
    past = make_event(
        title="Förra året",
        translations={"fi": {"title": "Viime vuonna"}},
        starts_at="2025-03-01T09:00",
        ends_at="2025-03-01T12:00",
    )
    assert f'href="/events/{past.slug}">Viime vuonna</a>' in page(client, "/past?lang=fi")


def test_registration_form_and_own_pages_show_the_persons_language(client, make_event):
    event = translated(make_event)
    form = page(client, f"/events/{event.slug}/register?lang=fi")
    assert re.search(rf"<h1[^>]*>[^<]*{FI_TITLE}</h1>", form)
    assert re.search(r'<label class="govuk-label govuk-checkboxes__label" [^>]*>Tervetuloa<', form)
    form_en = page(client, f"/events/{event.slug}/register?lang=en")
    assert f"Register for {EN_TITLE}" in form_en
    assert re.search(
        r'<label class="govuk-label [^"]*" for="session-\d+" lang="sv">Välkomna<', form_en
    )

    response = client.post(
        f"/events/{event.slug}/register?lang=fi",
        data={
            "name": "Maija Hankkija",
            "email": "maija@hel.fi",
            "organisation": "Helsingin kaupunki",
            "country": "FI",
            "target_group": "contracting_authority",
            "language": "fi",
            "sessions": [str(event.sessions[0].id)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    client.get("/?lang=sv")  # the browser's choice elsewhere does not matter on /r/<token>
    client.get("/logout")
    own = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert FI_TITLE in own
    assert "<li>Tervetuloa</li>" in own


# --- search ----------------------------------------------------------------------------------


def test_search_reads_the_visitors_language(client, make_event):
    event = translated(make_event)
    make_event(title="Något annat", **TIMES)

    def found(query: str) -> list[str]:
        text = page(client, "/?" + query)
        results = text.split('id="results-heading"')[1]
        return re.findall(r'<a class="govuk-link" href="/events/([^"]+)">', results)

    assert found("lang=en&q=employment+requirements") == [event.slug]
    assert found("lang=en&q=EMPLOYMENT") == [event.slug]  # any case
    # The English title is not what a Finnish or Swedish visitor sees: not found there.
    assert found("lang=fi&q=employment+requirements") == []
    assert found("lang=sv&q=employment+requirements") == []
    assert found("lang=fi&q=käytännössä") == [event.slug]
    # The event's own text is found in every language; % and _ are only text.
    assert found("lang=en&q=Sysselsättningskrav") == [event.slug]
    assert found("lang=en&q=%25") == []

    api = client.get("/api/v1/events?q=employment+requirements&lang=en").get_json()["events"]
    assert [e["slug"] for e in api] == [event.slug]
    api_fi = client.get("/api/v1/events?q=employment+requirements&lang=fi").get_json()["events"]
    assert api_fi == []


# --- the calendar feed -----------------------------------------------------------------------


def summaries(client, path: str) -> set[str]:
    calendar = read(get_ics(client, path).data)
    return {ve.summary.value for ve in calendar.vevent_list}


def descriptions(client, path: str) -> str:
    calendar = read(get_ics(client, path).data)
    return "\n".join(ve.description.value for ve in calendar.vevent_list)


def test_feed_summary_is_in_the_language_asked(client, make_event):
    translated(make_event)
    # One entry per event, its agenda in the description.
    assert summaries(client, "/calendar.ics?lang=fi") == {FI_TITLE}
    assert "Tervetuloa" in descriptions(client, "/calendar.ics?lang=fi")
    # English: the event's English title; the session has none, so its Swedish one.
    assert summaries(client, "/calendar.ics?lang=en") == {EN_TITLE}
    assert "Välkomna" in descriptions(client, "/calendar.ics?lang=en")
    assert "Sysselsättningskrav i praktiken" in summaries(client, "/calendar.ics?lang=sv")
    # The event's own file too.
    body = client.get("/events/sysselsattningskrav-i-praktiken.ics?lang=fi").get_data(as_text=True)
    assert f"SUMMARY:{FI_TITLE}" in body.replace("\r\n ", "")


def test_feed_follows_accept_language(make_app, make_event):
    translated(make_event)
    fresh = make_app().test_client()  # no language remembered in a session
    response = fresh.get("/calendar.ics", headers={"Accept-Language": "fi-FI,fi;q=0.9"})
    assert f"SUMMARY:{FI_TITLE}" in response.get_data(as_text=True).replace("\r\n ", "")


# --- the organisers' forms -------------------------------------------------------------------


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    client.get("/?lang=en")
    return client


def _form(**fields: str) -> dict[str, str]:
    data = {
        "title": "Sysselsättningskrav i praktiken",
        "description": "",
        "kind": "workshop",
        "format": "online",
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "starts_at": "2030-05-20T09:00",
        "ends_at": "2030-05-20T16:00",
        "online_url": "https://meet.example/x",
    }
    return data | fields


def test_event_form_has_a_fieldset_per_other_language(signed_in, make_event):
    text = page(signed_in, "/manage/events/new")
    assert "In English (optional)" in text and "In Finnish (optional)" in text
    assert "In Swedish (optional)" not in text  # a new event is Swedish unless told
    (title_fi,) = re.findall(r'<input[^>]*id="title_fi"[^>]*>', text)
    assert 'lang="fi"' in title_fi  # typed in Finnish, spell-checked as Finnish

    finnish = make_event(language="fi", title="Työpaja", timezone="Europe/Helsinki", **TIMES)
    edit = page(signed_in, f"/manage/events/{finnish.slug}/edit")
    assert "In Swedish (optional)" in edit and "In English (optional)" in edit
    assert "In Finnish (optional)" not in edit


def test_event_form_saves_translations_and_shows_them_again(signed_in):
    response = signed_in.post(
        "/manage/events/new",
        data=_form(title_en=EN_TITLE, title_fi=FI_TITLE, description_fi=FI_DESCRIPTION),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.query(Event).one()
    assert event.translations == {
        "en": {"title": EN_TITLE},
        "fi": {"title": FI_TITLE, "description": FI_DESCRIPTION},
    }
    edit = page(signed_in, f"/manage/events/{event.slug}/edit")
    assert f'value="{FI_TITLE}"' in edit and FI_DESCRIPTION in edit


def test_event_form_puts_translation_errors_next_to_their_field(signed_in):
    response = signed_in.post("/manage/events/new", data=_form(title_fi="x" * 201))
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert re.search(
        r'<p class="govuk-error-message" id="title_fi-error">.*?At most 200 characters.</p>', text
    )
    assert '<a href="#title_fi">Title in Finnish: At most 200 characters.</a>' in text


def test_session_form_saves_translations(signed_in, make_event):
    event = make_event(**TIMES)
    response = signed_in.post(
        f"/manage/events/{event.slug}/sessions/new",
        data={
            "title": "Välkomna",
            "starts_at": "2030-05-20T10:00",
            "ends_at": "2030-05-20T11:00",
            "title_fi": "Tervetuloa",
            "description_en": "About the day.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    (session,) = db.session.get(Event, event.id).sessions
    assert session.translations == {
        "fi": {"title": "Tervetuloa"},
        "en": {"description": "About the day."},
    }
    edit = page(signed_in, f"/manage/events/{event.slug}/sessions/{session.id}/edit")
    assert 'value="Tervetuloa"' in edit
