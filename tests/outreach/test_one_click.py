"""A campaign invitation carries List-Unsubscribe with one-click POST (RFC 8058): the mail
program's POST withdraws the consent without a cookie or a form token; the page's own POST
still needs its token; the next campaign leaves the address out."""

from __future__ import annotations

import pytest

from outreach import audience as audiences
from outreach import campaigns
from tests.outreach.test_campaigns import _past, _quiet, _register, _send_all

pytestmark = pytest.mark.real_smtp(WTF_CSRF_ENABLED=True)


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
