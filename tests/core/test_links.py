"""Absolute links come from PUBLIC_BASE_URL, never from the Host header a client sends, and a
forged Host cannot put a page in front of the next visitors through the page cache."""

from __future__ import annotations

import pytest

from app import create_app
from core import page_cache

PUBLIC = "https://motesplats.example.se"


def test_production_refuses_to_start_without_public_base_url(monkeypatch, tmp_path):
    monkeypatch.setenv("MOTESPLATS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    app = create_app()
    assert app.config["TRUSTED_HOSTS"] == ["motesplats.example.se"]


def test_a_host_other_than_the_public_one_is_refused(make_app):
    app = make_app(PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        client = app.test_client()
        assert client.get("/", base_url=PUBLIC).status_code == 200
        response = client.get("/?_external=1", base_url="http://evil.example")
        assert response.status_code == 400
        assert "evil.example" not in response.get_data(as_text=True)
        api = client.get("/api/v1/events", base_url="http://evil.example")
        assert api.status_code == 400


def test_links_in_the_api_and_calendars_use_public_base_url(app, make_event):
    # An operator who lets another host in (an internal name) still gets public links.
    app.config.update(
        PUBLIC_BASE_URL=PUBLIC, TRUSTED_HOSTS=["internal.local", "motesplats.example.se"]
    )
    event = make_event()
    client = app.test_client()
    body = client.get(f"/api/v1/events/{event.slug}", base_url="http://internal.local")
    assert body.get_json()["url"] == f"{PUBLIC}/events/{event.slug}"
    assert body.get_json()["ical_url"].startswith(PUBLIC + "/")
    ics = client.get(f"/events/{event.slug}.ics", base_url="http://internal.local")
    assert f"{PUBLIC}/events/{event.slug}" in ics.get_data(as_text=True).replace("\r\n ", "")
    assert "internal.local" not in ics.get_data(as_text=True)


@pytest.fixture
def caching():
    page_cache._pages.clear()
    yield
    page_cache._pages.clear()


@pytest.mark.parametrize("public_base_url", [PUBLIC, None])
def test_a_forged_host_cannot_poison_the_page_cache(app, make_event, caching, public_base_url):
    app.config.update(
        PUBLIC_BASE_URL=public_base_url,
        TRUSTED_HOSTS=[],  # even with the host check off
        PUBLIC_PAGE_CACHE_SECONDS=60,
    )
    real = public_base_url or "http://localhost"
    event = make_event()
    for path in ("/?_external=1", f"/events/{event.slug}?_external=1", "/?_external=1&x=1"):
        forged = app.test_client().get(
            path, base_url="http://evil.example", headers={"Host": "evil.example"}
        )
        assert forged.status_code == 200
        assert "evil.example" not in forged.get_data(as_text=True)
        visitor = app.test_client().get(path, base_url=real)
        assert visitor.status_code == 200
        assert "evil.example" not in visitor.get_data(as_text=True)
    if public_base_url:  # a page for another host than the public one is never remembered
        assert all("evil.example" not in str(key) for key in page_cache._pages)
