"""A campaign invitation carries List-Unsubscribe with one-click POST (RFC 8058): the mail
program's POST withdraws the consent without a cookie or a form token; the page's own POST
still needs its token; the next campaign leaves the address out."""

from __future__ import annotations

import pytest

from outreach import audience as audiences
from outreach import campaigns
from tests.core.smtp import smtp_server
from tests.outreach.test_campaigns import _past, _quiet, _register, _send_all


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def app(make_app, smtp):
    from flask import request_started

    from tests.conftest import _fresh_request_globals

    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, WTF_CSRF_ENABLED=True)
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        yield app


def test_one_click_from_the_mail_program_withdraws_the_consent(smtp, client, organiser, make_event):
    earlier = make_event(title="Workshop A")
    upcoming = make_event(title="Konferensen")
    _register(earlier, "anna@example.se", consent_future_invitations=True)
    _past(earlier)
    _quiet()
    campaigns.create_campaign(organiser, upcoming, {})
    assert _send_all() == 1
    message = smtp.received[-1].message
    link = str(message["List-Unsubscribe"]).strip()
    assert link.startswith("<http://localhost/i/") and link.endswith("/withdraw>")
    assert str(message["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
    path = link.strip("<>").removeprefix("http://localhost")

    assert client.post(path, data={}).status_code == 400  # the page's form, without its token
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 204

    allowed, withdrawn_at = campaigns.consent_of("anna@example.se")
    assert not allowed and withdrawn_at is not None
    later = make_event(title="Nästa år")
    assert audiences.reach(later, {}).people == 0
