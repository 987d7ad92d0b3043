"""Sign-in resists guessing (failed attempts throttled per account and per address; unknown
accounts cost the same hash as wrong passwords); production cookies are Secure and answers
carry HSTS; private answers carry Cache-Control: no-store."""

from __future__ import annotations

import html
import time

import pytest
from flask import request_started

from core.auth import create_organiser
from core.db import db
from tests.conftest import _fresh_request_globals

EMAIL = "anna@upphandlingsmyndigheten.se"
PASSWORD = "secret-pass"
THROTTLED = "Too many failed sign-in attempts. Please wait a few minutes and try again."


@pytest.fixture
def limited(make_app):
    """An app with the rate limiter on: 3 failures per account, 5 per address."""
    app = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes",
        LOGIN_FAILURES_PER_ADDRESS="5 per 15 minutes",
    )
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        create_organiser(EMAIL, "Anna", PASSWORD)
        create_organiser("bo@upphandlingsmyndigheten.se", "Bo", PASSWORD)
        yield app
        db.session.remove()


def attempt(app, email, password, address="10.0.0.1", lang="en"):
    client = app.test_client()
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_overrides={"REMOTE_ADDR": address},
        headers={"Accept-Language": lang},
    )


def test_failed_sign_ins_are_throttled_per_account(limited):
    for n in range(3):  # from three different addresses
        assert attempt(limited, EMAIL, "wrong", address=f"10.0.1.{n}").status_code == 422
    response = attempt(limited, EMAIL, PASSWORD, address="10.0.2.1")
    assert response.status_code == 429
    assert THROTTLED in html.unescape(response.get_data(as_text=True))
    assert "Retry-After" in response.headers
    # The same account written another way is the same account.
    assert attempt(limited, " Anna@Upphandlingsmyndigheten.SE", PASSWORD).status_code == 429
    # Another account is not held up.
    assert attempt(limited, "bo@upphandlingsmyndigheten.se", PASSWORD).status_code == 302


def test_failed_sign_ins_are_throttled_per_address(limited):
    for n in range(5):  # five different accounts, known or not, from one address
        assert attempt(limited, f"guess{n}@example.org", "wrong").status_code == 422
    response = attempt(limited, EMAIL, PASSWORD, lang="sv")
    assert response.status_code == 429
    assert "För många misslyckade inloggningsförsök" in html.unescape(response.get_data(True))
    assert attempt(limited, EMAIL, PASSWORD, address="10.9.9.9").status_code == 302


def test_successful_sign_ins_are_not_counted(limited):
    for _ in range(6):
        assert attempt(limited, EMAIL, PASSWORD).status_code == 302


def test_unknown_account_and_wrong_password_both_hash(app, organiser, monkeypatch):
    import core.auth
    import core.models

    calls = []

    def counting(original):
        def check(stored, password):
            calls.append(password)
            return original(stored, password)

        return check

    monkeypatch.setattr(core.auth, "check_password_hash", counting(core.auth.check_password_hash))
    monkeypatch.setattr(
        core.models, "check_password_hash", counting(core.models.check_password_hash)
    )
    client = app.test_client()
    for email in ("nobody@example.org", EMAIL):
        calls.clear()
        response = client.post(
            "/login",
            data={"email": email, "password": "wrong-pass"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 422
        assert "The email or password is wrong." in response.get_data(as_text=True)
        assert calls == ["wrong-pass"], email
    organiser.active = False
    db.session.commit()
    calls.clear()
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 422
    assert calls == [PASSWORD]


def test_unknown_account_takes_as_long_as_a_wrong_password(app, organiser):
    from core.auth import authenticate

    def timed(email: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert authenticate(email, "wrong-pass") is None
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    authenticate("warm@example.org", "x")
    unknown, wrong = timed("nobody@example.org"), timed(EMAIL)
    assert unknown > wrong * 0.5, (unknown, wrong)  # today 5 ms against 100 ms


# --- production cookies and HSTS ---------------------------------------------------------------

PUBLIC = "https://motesplats.example.se"


@pytest.fixture
def production(make_app, monkeypatch):
    monkeypatch.setenv("MOTESPLATS_ENV", "production")
    app = make_app(PUBLIC_BASE_URL=PUBLIC)
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        create_organiser(EMAIL, "Anna", PASSWORD)
        yield app
        db.session.remove()


def test_production_cookies_are_secure_and_answers_carry_hsts(production):
    client = production.test_client()
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "remember": "y"}, base_url=PUBLIC
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
    assert all("; Secure" in c for c in cookies), cookies
    hsts = response.headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 365 * 24 * 3600
    assert "Strict-Transport-Security" in client.get("/", base_url=PUBLIC).headers


def test_development_has_no_hsts_and_plain_cookies(client, organiser):
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert "Strict-Transport-Security" not in response.headers
    assert all("Secure" not in c for c in response.headers.getlist("Set-Cookie"))


# --- what may be kept --------------------------------------------------------------------------


@pytest.fixture
def registration_token(client, make_event):
    event = make_event()
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json={
            "name": "Maja Upphandlare",
            "email": "maja@stockholm.se",
            "organisation": {"name": "Stockholms stad", "country": "SE"},
            "target_group": "contracting_authority",
            "language": "sv",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    return event.slug, response.get_json()["token"]


def test_private_answers_are_not_kept(client, login, auth, registration_token):
    slug, token = registration_token
    for url in (f"/r/{token}", f"/r/{token}/ticket", f"/r/{token}/calendar.ics"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    api = client.get(f"/api/v1/registrations/{token}")
    assert api.headers["Cache-Control"] == "no-store"
    listed = client.get(f"/api/v1/events/{slug}/registrations", headers=auth)
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    # Even the public list, when asked with a token (drafts may be in it).
    assert client.get("/api/v1/events", headers=auth).headers["Cache-Control"] == "no-store"
    login()
    for url in (
        "/manage/",
        f"/manage/events/{slug}",
        f"/manage/events/{slug}/registrations",
        f"/manage/events/{slug}/registrations.csv",
        f"/manage/events/{slug}/registrations.xlsx",
        f"/manage/events/{slug}/catering.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    # A public page seen by a signed-in organiser shows their menu: not kept either.
    assert client.get(f"/events/{slug}").headers["Cache-Control"] == "no-store"


def test_public_answers_may_be_kept(client, registration_token):
    slug, _token = registration_token
    for url in (
        "/",
        "/past",
        f"/events/{slug}",
        f"/events/{slug}.ics",
        "/calendar.ics",
        "/accessibility",
        "/static/css/motesplats.min.css",
        "/api/v1/events",
        f"/api/v1/events/{slug}",
        "/api/v1/openapi.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1, LOGIN_FAILURES_PER_ADDRESS="2 per 15 minutes"
    )
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        create_organiser(EMAIL, "Anna", PASSWORD)

        def through_proxy(client_address: str, password: str):
            return app.test_client().post(
                "/login",
                data={"email": f"{client_address}@example.org", "password": password},
                headers={"X-Forwarded-For": client_address},
                environ_overrides={"REMOTE_ADDR": "127.0.0.1"},  # the proxy
            )

        assert through_proxy("192.0.2.1", "x").status_code == 422
        assert through_proxy("192.0.2.1", "x").status_code == 422
        assert through_proxy("192.0.2.1", "x").status_code == 429
        assert through_proxy("192.0.2.2", "x").status_code == 422  # another person
        db.session.remove()
