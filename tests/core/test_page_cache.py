"""Public pages are remembered for anonymous visitors, never for organisers, and never shown
older than their data: the key holds the event's version, raised by every organiser change and
every change of seats, and which of its moments have passed."""

from datetime import timedelta

import pytest

from core import page_cache
from core.db import db, utcnow
from events import queries
from events.services import cancel_event, update_event
from participants import window as registration_window
from participants.services import cancel, register
from tests.participants.helpers import person
from tests.statements import count_statements


@pytest.fixture
def cached_client(app, client):
    page_cache._pages.clear()
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 3600
    yield app, client
    page_cache._pages.clear()


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_organisers_edit_shows_at_once(cached_client, make_event, organiser):
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}?lang=en"
    assert "Sysselsättningskrav i praktiken" in page(client, url)
    assert page(client, url) == page(client, url)  # remembered

    update_event(organiser, event, {"title": "Ny titel"})
    assert "Ny titel" in page(client, url)
    assert "Ny titel" in page(client, f"/events/{event.slug}?lang=sv")

    update_event(organiser, event, {"capacity": 500})
    assert "500" in page(client, url)
    cancel_event(organiser, event)
    assert "This event has been cancelled" in page(client, url)


def test_the_last_seat_going_shows_at_once(cached_client, make_event):
    app, client = cached_client
    event = make_event(capacity=2)
    url = f"/events/{event.slug}?lang=en"
    assert "2 places left" in page(client, url)
    register(event, person(1))
    assert "1 place left" in page(client, url)
    last = register(event, person(2))
    assert last.status == "confirmed"
    body = page(client, url)
    assert "The event is full" in body and "(0 waiting)" in body
    register(event, person(3))  # the waiting list is on the page too
    assert "(1 waiting)" in page(client, url)
    cancel(last)  # the first in line is promoted: still full, no one waiting
    assert "(0 waiting)" in page(client, url)


def test_a_remembered_page_costs_one_small_query(cached_client, make_event):
    """One on SQLite; on PostgreSQL none once the versions are pushed to the process
    (test_page_cache_pushed.py), one until then."""
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}"
    page(client, url)
    with count_statements() as statements:
        page(client, url)
    assert len(statements) <= 1 if db.engine.dialect.name == "postgresql" else len(statements) == 1
    assert all("version" in statement for statement in statements)


def test_the_page_changes_when_registration_closes(cached_client, make_event, monkeypatch):
    app, client = cached_client
    closes = utcnow() + timedelta(days=1)
    event = make_event(registration_closes_at=closes.isoformat())
    url = f"/events/{event.slug}?lang=en"
    assert "Register for the event" in page(client, url)
    assert "Register for the event" in page(client, url)  # remembered
    later = closes + timedelta(seconds=1)
    monkeypatch.setattr(page_cache, "utcnow", lambda: later)
    monkeypatch.setattr(registration_window, "utcnow", lambda: later)
    body = page(client, url)
    assert "Registration has closed." in body and "Register for the event" not in body


def test_the_lists_change_when_an_event_ends(cached_client, make_event, monkeypatch):
    app, client = cached_client
    event = make_event()
    assert event.title in page(client, "/")
    monkeypatch.setattr(queries, "utcnow", lambda: event.ends_at + timedelta(seconds=1))
    before = queries.public_lists_freshness()
    monkeypatch.undo()
    assert queries.public_lists_freshness() != before


def test_the_lists_show_an_edit_at_once(cached_client, make_event, organiser):
    app, client = cached_client
    event = make_event()
    assert "Sysselsättningskrav i praktiken" in page(client, "/")
    update_event(organiser, event, {"title": "Ny titel på listan"})
    assert "Ny titel på listan" in page(client, "/")
    other = make_event(title="Ett nytt evenemang", status="draft")
    assert "Ett nytt evenemang" not in page(client, "/")
    update_event(organiser, other, {"status": "published"})
    assert "Ett nytt evenemang" in page(client, "/")


def test_organisers_always_see_the_live_page(cached_client, make_event, organiser):
    app, client = cached_client
    event = make_event()
    client.post("/login", data={"email": organiser.email, "password": "secret-pass"})
    page_cache._pages.clear()
    assert "Sysselsättningskrav i praktiken" in page(client, f"/events/{event.slug}")
    assert page_cache._pages == {}  # neither answered from the cache nor remembered


def test_a_missing_page_is_not_remembered(cached_client, make_event):
    app, client = cached_client
    assert client.get("/events/finns-inte").status_code == 404
    assert page_cache._pages == {}
    draft = make_event(status="draft")
    assert client.get(f"/events/{draft.slug}").status_code == 404
    assert page_cache._pages == {}


@pytest.fixture
def flask_calls(app):
    """How many requests reached Flask behind the page cache's middleware (VisitorPages)."""
    middleware = app.wsgi_app
    while not isinstance(middleware, page_cache.VisitorPages):
        middleware = middleware.app  # ProxyFix, when TRUSTED_PROXIES is set
    inner, calls = middleware.wsgi_app, []

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    middleware.wsgi_app = counted
    yield calls
    middleware.wsgi_app = inner


def test_a_visitor_without_a_cookie_gets_the_whole_response_without_flask(
    cached_client, make_event, organiser, flask_calls
):
    app, client = cached_client
    event = make_event(capacity=2)
    url = f"/events/{event.slug}"
    first = client.get(url)
    second = client.get(url)
    assert len(flask_calls) == 1  # the second answer came from memory, before Flask
    assert second.get_data() == first.get_data()
    for header in ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "Vary"):
        assert second.headers.get(header) == first.headers.get(header), header
    assert (
        "Cache-Control" not in second.headers or "no-store" not in second.headers["Cache-Control"]
    )

    update_event(organiser, event, {"title": "Ändrad titel"})
    assert "Ändrad titel" in page(client, url)  # the version changed: rendered again
    register(event, person(1))
    assert "1 plats kvar" in page(client, url)
    assert len(flask_calls) == 3
    head = client.head(url)
    assert head.status_code == 200 and head.get_data() == b"" and len(flask_calls) == 3


def test_each_language_a_browser_asks_for_is_remembered_apart(
    cached_client, make_event, flask_calls
):
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}"
    finnish = {"Accept-Language": "fi-FI,fi;q=0.9"}
    assert 'lang="fi"' in client.get(url, headers=finnish).get_data(as_text=True)
    assert 'lang="sv"' in page(client, url)
    assert 'lang="fi"' in client.get(url, headers=finnish).get_data(as_text=True)
    assert 'lang="sv"' in page(client, url)
    assert len(flask_calls) == 2


def test_a_visitor_with_a_session_goes_through_flask(cached_client, make_event, flask_calls):
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}"
    page(client, url)
    assert 'lang="en"' in page(client, url + "?lang=en")  # remembered in the session cookie
    assert 'lang="en"' in page(client, url)  # not the Swedish page the middleware holds
    assert len(flask_calls) == 3


def test_another_host_is_never_answered_from_memory(cached_client, make_event, flask_calls):
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}"
    page(client, url)
    forged = client.get(url, headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert len(flask_calls) == 2
