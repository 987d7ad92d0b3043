"""Organisers sign in and out; "remember me"; the way back after signing in stays on the site."""

from __future__ import annotations

import pytest

from core.db import db

EMAIL = "anna@upphandlingsmyndigheten.se"
PASSWORD = "secret-pass"


@pytest.fixture
def english(client):
    client.get("/?lang=en")  # the msgids, whatever the Swedish catalogue says
    return client


def test_password_is_stored_hashed(organiser):
    assert PASSWORD not in organiser.password_hash
    assert organiser.check_password(PASSWORD)
    assert not organiser.check_password("wrong-pass")


def test_sign_in_and_out(client, organiser):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html

    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/manage/"
    assert client.get("/manage/").status_code == 200
    # Signed in, the sign-in page sends you on.
    assert client.get("/login").location == "/manage/"

    # Signing out is a POST (a link could be triggered by a prefetch or another site).
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/manage/").status_code == 302


def test_email_is_not_case_sensitive(client, organiser):
    response = client.post(
        "/login", data={"email": " Anna@Upphandlingsmyndigheten.SE", "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [(EMAIL, "wrong-pass"), ("nobody@example.org", PASSWORD)],
)
def test_wrong_password_or_email_is_refused_with_one_message(english, organiser, email, password):
    response = english.post("/login", data={"email": email, "password": password})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The email or password is wrong." in html
    assert 'id="password-error"' in html  # shown next to the field
    assert english.get("/manage/").status_code == 302


def test_inactive_account_cannot_sign_in(client, organiser):
    organiser.active = False
    db.session.commit()
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 422


def test_remember_me_sets_the_remember_cookie(client, organiser):
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert client.get_cookie("remember_token") is None
    client.post("/logout")

    client.post("/login", data={"email": EMAIL, "password": PASSWORD, "remember": "y"})
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only

    # The remember cookie alone signs the organiser in again, as after closing the browser.
    client.delete_cookie("session")
    assert client.get("/manage/").status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/manage/events/new", "/manage/events/new"),
        ("/manage/?x=1", "/manage/?x=1"),
        ("https://evil.example/phish", "/manage/"),
        ("//evil.example/phish", "/manage/"),
        ("http:/evil.example", "/manage/"),
        ("javascript:alert(1)", "/manage/"),
    ],
)
def test_next_redirects_only_to_local_paths(client, organiser, next_url, expected):
    response = client.post(
        "/login", query_string={"next": next_url}, data={"email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == expected
