"""Password reset by email: the same answer for any address, a signed link that works for
PASSWORD_RESET_SECONDS and once, a clear page for a link that cannot be used, and the email
itself received by a real SMTP server in the language the organiser asked in."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import request_started
from flask_babel import force_locale, gettext
from itsdangerous.timed import TimestampSigner

from core.auth import create_organiser, find_organiser
from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from core.password_reset import reset_token, reset_url
from tests.conftest import _fresh_request_globals
from tests.core.smtp import smtp_server

EMAIL = "anna@upphandlingsmyndigheten.se"
PASSWORD = "secret-pass"
SENT = "If %(email)s belongs to an organiser account, we have sent a link to it"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def queued() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def link_path(message: OutboxMessage) -> str:
    return message.facts["link"].removeprefix("http://localhost")


def signed_at(monkeypatch: pytest.MonkeyPatch, organiser: Any, seconds_ago: int) -> str:
    """A reset link as if it had been made seconds_ago: the signer's clock, not a sleep."""
    now = time.time()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(now - seconds_ago))
    token = reset_token(organiser)
    monkeypatch.undo()
    return token


def test_login_page_links_to_the_reset(client):
    page = text(client.get("/login?lang=en"))
    assert 'href="/password/forgot"' in page and "Forgot your password?" in page


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, organiser):
    form = client.get("/password/forgot?lang=en")
    assert form.status_code == 200
    known = client.post("/password/forgot", data={"email": EMAIL})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.se"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: text(r).replace(e, "ADDRESS")  # noqa: E731
    assert strip(known, EMAIL) == strip(unknown, "nobody@example.se")
    assert SENT % {"email": EMAIL} in text(known)
    [message] = queued()  # a link only for the account that exists
    assert message.recipient == EMAIL and message.kind == "password_reset"


def test_a_deactivated_account_gets_no_link(client, organiser):
    organiser.active = False
    db.session.commit()
    assert client.post("/password/forgot", data={"email": EMAIL}).status_code == 200
    assert queued() == []


def test_a_malformed_address_is_a_form_error(client):
    response = client.post("/password/forgot?lang=en", data={"email": "not-an-address"})
    assert response.status_code == 422
    assert "Enter a valid email." in text(response)


def test_link_sets_a_new_password_once_and_then_sign_in(client, organiser):
    client.post("/password/forgot?lang=en", data={"email": EMAIL})
    [message] = queued()
    path = link_path(message)
    page = client.get(path)
    assert page.status_code == 200 and "Choose a new password" in text(page)
    assert page.headers["Cache-Control"] == "no-store"

    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "The password must have at least 8 characters." in text(short)
    differ = client.post(path, data={"password": "a-new-password", "confirm": "another-one"})
    assert differ.status_code == 422
    assert "The two passwords are not the same." in text(differ)

    done = client.post(path, data={"password": "a-new-password", "confirm": "a-new-password"})
    assert done.status_code == 302 and done.location == "/login"
    assert "Your password is changed." in text(client.get("/login"))
    assert not find_organiser(EMAIL).check_password(PASSWORD)
    signed_in = client.post("/login", data={"email": EMAIL, "password": "a-new-password"})
    assert signed_in.status_code == 302 and signed_in.location == "/manage/"

    # Single use: the same link again, to look at or to post, is refused.
    client.post("/logout")
    again = client.get(path)
    assert again.status_code == 410
    assert "This link has already been used." in text(again)
    reused = client.post(path, data={"password": "third-password", "confirm": "third-password"})
    assert reused.status_code == 410
    assert find_organiser(EMAIL).check_password("a-new-password")


def test_any_new_password_uses_up_links_sent_before(client, organiser):
    first = reset_url(organiser).removeprefix("http://localhost")
    organiser.set_password("changed-elsewhere")
    db.session.commit()
    assert client.get(first + "?lang=en").status_code == 410


def test_link_expires_after_password_reset_seconds(client, organiser, monkeypatch):
    fresh = signed_at(monkeypatch, organiser, 3600 - 5)
    stale = signed_at(monkeypatch, organiser, 3600 + 5)
    assert client.get(f"/password/reset/{fresh}?lang=en").status_code == 200
    expired = client.get(f"/password/reset/{stale}?lang=en")
    assert expired.status_code == 410
    assert "This link has expired. Ask for a new one." in text(expired)
    assert 'href="/password/forgot"' in text(expired)
    posted = client.post(
        f"/password/reset/{stale}", data={"password": "new-password", "confirm": "new-password"}
    )
    assert posted.status_code == 410
    assert find_organiser(EMAIL).check_password(PASSWORD)


def test_password_reset_seconds_is_configurable(make_app, monkeypatch):
    app = make_app(PASSWORD_RESET_SECONDS=60)
    with app.app_context():
        organiser = create_organiser(EMAIL, "Anna", PASSWORD)
        token = signed_at(monkeypatch, organiser, 61)
        assert app.test_client().get(f"/password/reset/{token}").status_code == 410


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("garbage", "This link is not valid."),
        ("eyJpZCI6MX0.ZZZZZZ.forged-signature", "This link is not valid."),
        ("%00", "The web address contains characters that cannot be read."),  # the guard's
    ],
)
def test_a_garbled_or_forged_link_is_a_clear_400(client, organiser, token, message):
    response = client.get(f"/password/reset/{token}?lang=en")
    assert response.status_code == 400
    assert message in text(response)


def test_a_link_signed_with_another_salt_or_key_is_refused(app, client, organiser):
    from itsdangerous import URLSafeTimedSerializer

    payload = {"id": organiser.id, "fp": "x"}
    for key, salt in (("test-secret", "another-salt"), ("other-key", "motesplats.password-reset")):
        token = URLSafeTimedSerializer(key, salt=salt).dumps(payload)
        response = client.get(f"/password/reset/{token}?lang=en")
        assert response.status_code == 400
        assert "This link is not valid." in text(response)


def test_a_deactivated_accounts_link_no_longer_works(client, organiser):
    path = reset_url(organiser).removeprefix("http://localhost")
    organiser.active = False
    db.session.commit()
    assert client.get(path + "?lang=en").status_code == 410


def test_asking_for_links_is_rate_limited(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        PASSWORD_RESETS_PER_ACCOUNT="2 per hour",
        PASSWORD_RESETS_PER_ADDRESS="4 per hour",
    )
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        create_organiser(EMAIL, "Anna", PASSWORD)

        def ask(email: str, address: str) -> int:
            client = app.test_client()
            return client.post(
                "/password/forgot",
                data={"email": email},
                environ_overrides={"REMOTE_ADDR": address},
            ).status_code

        assert [ask(EMAIL, f"10.0.0.{n}") for n in range(3)] == [200, 200, 429]
        assert ask(" Anna@Upphandlingsmyndigheten.SE", "10.0.1.1") == 429
        # Per address, whatever the account (known or not).
        assert [ask(f"x{n}@example.se", "10.0.9.9") for n in range(5)] == [200] * 4 + [429]
        assert len(queued()) == 2
        db.session.remove()


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_the_email_arrives_over_smtp_in_the_language_asked_in(make_app, lang):
    with smtp_server() as smtp:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        request_started.connect(_fresh_request_globals, app)
        with app.app_context():
            create_organiser(EMAIL, "Anna Organiser", PASSWORD)
            client = app.test_client()
            assert (
                client.post(f"/password/forgot?lang={lang}", data={"email": EMAIL}).status_code
                == 200
            )
            assert send_due() == 1
            [received] = smtp.received
            message = received.message
            assert received.recipients == [EMAIL]
            with app.test_request_context("/"), force_locale(lang):
                subject = gettext("Reset your password for Mötesplats")
                works = gettext("The link works for %(minutes)s minutes and only once.", minutes=60)
            assert subject != "Reset your password for Mötesplats"  # translated
            assert message["Subject"] == subject
            body = message.get_body(("plain",)).get_content()
            assert works in body
            assert f'<html lang="{lang}">' in message.get_body(("html",)).get_content()
            link = re.search(r"http://localhost/password/reset/\S+", body).group(0)
            path = link.removeprefix("http://localhost")
            assert client.get(path).status_code == 200
            done = client.post(path, data={"password": "from-the-mail", "confirm": "from-the-mail"})
            assert done.status_code == 302
            assert find_organiser(EMAIL).check_password("from-the-mail")
            db.session.remove()
