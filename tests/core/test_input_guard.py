"""Text that cannot be stored (NUL, lone surrogates, invalid UTF-8) in a path, a query or an
HTML form gets 400 with a message that says what is wrong, never a 500, and nothing is written.
Query parameters that url_for treats specially have no effect on any page."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from core.db import utcnow
from tests.core.helpers import all_row_counts

ADDRESS_MESSAGE = "The web address contains characters that cannot be read."
FORM_MESSAGE = "The form contains characters that cannot be saved (such as a NUL character)."


@pytest.fixture
def en(client):
    client.get("/?lang=en")
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "url",
    [
        "/events/%00",
        "/r/%00",
        "/r/%00/ticket",
        "/%00",
        "/?city=%00",
        "/?city=%FF",
        "/?ci%00ty=x",
        "/past?city=%ED%A0%80",
        "/login?next=%00",
    ],
)
def test_bad_text_in_an_address_is_400_with_a_message(en, url):
    response = en.get(url)
    assert response.status_code == 400
    assert ADDRESS_MESSAGE in text(response)


@pytest.mark.parametrize("raw", [b"/events/\xed\xa0\x80", b"/events/\xff", b"/r/a\xc3"])
def test_invalid_utf8_in_a_path_is_400(en, raw):
    # As a WSGI server passes it: the percent-decoded bytes as latin-1 (the test client would
    # have replaced them with U+FFFD first).
    response = en.get("/", environ_overrides={"PATH_INFO": raw.decode("latin-1")})
    assert response.status_code == 400
    assert ADDRESS_MESSAGE in text(response)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events?city=%00",
        "/api/v1/events/%00",
        "/api/v1/registrations/%00",
        "/api/v1/events?city=%FF",
    ],
)
def test_bad_text_in_an_api_address_is_a_json_400(client, url):
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith(ADDRESS_MESSAGE)


def test_the_message_is_translated(client):
    response = client.get("/events/%00", headers={"Accept-Language": "fi"})
    assert response.status_code == 400
    assert "Verkko-osoitteessa on merkkejä" in text(response)
    response = client.get("/api/v1/events?city=%00", headers={"Accept-Language": "sv"})
    assert response.get_json()["error"]["message"].startswith("Webbadressen innehåller tecken")


def test_api_requests_with_a_good_query_still_work(client, make_event):
    make_event()
    response = client.get("/api/v1/events?city=Stockholm")
    assert response.status_code == 200


# A lone surrogate cannot be encoded in UTF-8: it arrives as the bytes ED A0 80 (invalid UTF-8).
@pytest.mark.parametrize("bad", ["Maja%00", "Maja%ED%A0%80", "%ED%B3%BF", "Maja%ED%A0%80%00"])
def test_registration_form_with_bad_text_is_refused_and_nothing_is_stored(en, make_event, bad):
    event = make_event()
    before = all_row_counts()
    body = (
        f"name={bad}&email=maja%40stockholm.se&organisation=Stockholms+stad&country=SE"
        "&target_group=contracting_authority&language=en"
    )
    response = en.post(
        f"/events/{event.slug}/register",
        data=body.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert FORM_MESSAGE in text(response)
    assert all_row_counts() == before


def test_invalid_utf8_in_a_form_body_is_refused(en, make_event):
    event = make_event()
    before = all_row_counts()
    for body in (b"name=Maja%FF&email=maja%40stockholm.se", b"name=Maja\xff&email=x"):
        response = en.post(
            f"/events/{event.slug}/register",
            data=body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400
        assert FORM_MESSAGE in text(response)
    assert all_row_counts() == before


def test_multipart_form_with_nul_is_refused(en, make_event):
    event = make_event()
    before = all_row_counts()
    response = en.post(
        f"/events/{event.slug}/register",
        data={"name": "Maja\x00", "email": "maja@stockholm.se"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert all_row_counts() == before


@pytest.mark.parametrize("field", ["title", "description", "venue_city"])
def test_event_form_with_nul_is_refused(en, organiser, login, field):
    login()
    day = (utcnow() + timedelta(days=30)).date().isoformat()
    before = all_row_counts()
    data = {
        "title": "Workshop",
        "kind": "workshop",
        "format": "in_person",
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T15:00",
        "target_group_supplier": "y",
    }
    data[field] = "Stock\x00holm"
    response = en.post("/manage/events/new", data=data)
    assert response.status_code == 400
    assert FORM_MESSAGE in text(response)
    assert all_row_counts() == before


def test_session_form_with_nul_is_refused(en, make_event, login):
    event = make_event(status="draft")
    login()
    before = all_row_counts()
    response = en.post(
        f"/manage/events/{event.slug}/sessions/new",
        data={"title": "Pass\x00", "starts_at": "", "ends_at": ""},
    )
    assert response.status_code == 400
    assert all_row_counts() == before


def test_login_with_nul_is_refused(en, organiser):
    response = en.post("/login", data={"email": "anna\x00@x.se", "password": "secret-pass\x00"})
    assert response.status_code == 400
    assert FORM_MESSAGE in text(response)


# --- url_for's own arguments in a query ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "endpoint=x",
        "_method=POST",
        "_external=1",
        "_scheme=javascript",
        "_anchor=x",
        "_external=1&_scheme=ftp&endpoint=core.login",
    ],
)
@pytest.mark.parametrize("path", ["/", "/past", "/login", "/accessibility", "/privacy"])
def test_url_for_arguments_in_a_query_change_nothing(client, path, query):
    response = client.get(f"{path}?{query}", headers={"Host": "evil.example"})
    # A forged Host is refused outright (TRUSTED_HOSTS from PUBLIC_BASE_URL) ...
    assert response.status_code == 400
    response = client.get(f"{path}?{query}")
    # ... and on the real host the page is served with its language links on this page.
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "evil.example" not in body and "ftp:" not in body and "javascript:" not in body
    assert 'href="http' not in body.split("<main")[0]  # no absolute link in the header
    assert f'href="{path}?' in body  # the language links keep the page


def test_language_links_keep_the_filters_and_replace_only_lang(client, make_event):
    make_event()
    body = html.unescape(client.get("/?city=Stockholm&lang=sv&kind=workshop").get_data(True))
    assert 'href="/?city=Stockholm&kind=workshop&lang=fi"' in body
    assert 'href="/?city=Stockholm&kind=workshop&lang=en"' in body


def test_pagination_links_keep_only_the_filters(app, client, make_event):
    app.config["EVENTS_PER_PAGE"] = 1
    make_event()
    make_event(title="Andra")
    response = client.get("/?endpoint=x&_external=1&_anchor=a&city=Stockholm")
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    assert 'href="/?page=2&city=Stockholm"' in body or 'href="/?city=Stockholm&page=2"' in body
    assert "#a" not in body


def test_forms_still_work_with_csrf_after_the_guard_read_the_body(make_app):
    # The guard reads the urlencoded body first; Flask-WTF must still find its token in it.
    import re

    from core.auth import create_organiser

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_organiser("anna@upphandlingsmyndigheten.se", "Anna", "secret-pass")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login",
            data={
                "csrf_token": token,
                "email": "anna@upphandlingsmyndigheten.se",
                "password": "secret-pass",
            },
        )
        assert response.status_code == 302
