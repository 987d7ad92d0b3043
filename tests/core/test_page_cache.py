"""Public pages are remembered for a few seconds for anonymous visitors, never for organisers."""

import time

import pytest

from core import page_cache
from events.services import update_event


@pytest.fixture
def cached_client(app, client):
    page_cache._pages.clear()
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 60
    yield app, client
    page_cache._pages.clear()


def test_visitors_get_the_remembered_page_until_it_expires(cached_client, make_event, organiser):
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}?lang=en"
    assert "Sysselsättningskrav i praktiken" in client.get(url).get_data(as_text=True)

    update_event(organiser, event, {"title": "Ny titel"})
    assert "Sysselsättningskrav i praktiken" in client.get(url).get_data(as_text=True)
    assert "Ny titel" in client.get(f"/events/{event.slug}?lang=sv").get_data(as_text=True)

    for key, (_expires, page) in list(page_cache._pages.items()):
        page_cache._pages[key] = (time.monotonic() - 1, page)  # the seconds have passed
    assert "Ny titel" in client.get(url).get_data(as_text=True)


def test_organisers_always_see_the_live_page(cached_client, make_event, organiser):
    app, client = cached_client
    event = make_event()
    url = f"/events/{event.slug}"
    client.get(url)
    update_event(organiser, event, {"title": "Ändrad"})
    client.post("/login", data={"email": organiser.email, "password": "secret-pass"})
    assert "Ändrad" in client.get(url).get_data(as_text=True)


def test_a_missing_page_is_not_remembered(cached_client, make_event):
    app, client = cached_client
    assert client.get("/events/finns-inte").status_code == 404
    assert page_cache._pages == {}
