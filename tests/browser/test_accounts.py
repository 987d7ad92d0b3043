"""Organiser accounts in a browser: the whole password reset (login page → "Forgot your
password?" → the email's link → a new password → signed in), the organiser's own account page
with a new API token, and the admin's account pages; every page passes axe-core at 1280 and
at 320 px and does not scroll sideways at 320."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import sign_in, tr


def check_widths(page: Any) -> None:
    """axe-core at 1280 and at 320 px, and nothing wider than the screen at 320."""
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        if width == 320:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= 320, f"{page.url} scrolls sideways at 320 px ({scroll})"
    page.set_viewport_size({"width": 1280, "height": 900})


def reset_email(live_server: LiveServer, address: str) -> email.message.EmailMessage:
    """Let the worker send what is due (the helper app has no MAIL_SERVER: .eml files), and
    read the reset message sent to address."""
    from core.db import db
    from core.models import OutboxMessage
    from core.outbox_sending import send_due

    app = live_server.app
    with app.app_context():
        send_due()
        row = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == address, OutboxMessage.kind == "password_reset")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert row is not None and row.status == "sent", address
        folder = Path(app.config["MAIL_OUTBOX_DIR"])
        raw = (folder / f"{row.id:08d}-password_reset.eml").read_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_password_reset_from_the_login_page_to_signed_in(
    page: Any, live_server: LiveServer
) -> None:
    lang = "fi"
    address = f"reset-{uuid.uuid4().hex[:6]}@upphandlingsmyndigheten.se"
    live_server.create_organiser(address, "Riikka Reset", "old-password-1")

    visit(page, "/login", lang=lang)
    check_widths(page)
    with page.expect_navigation():
        page.get_by_role("link", name=tr(live_server, lang, "Forgot your password?")).click()
    assert page.url.endswith("/password/forgot")
    check_widths(page)

    # An empty address is an error shown accessibly.
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Send the link")).click()
    assert page.locator("[aria-invalid=true]").count() == 1
    check_widths(page)

    page.get_by_label(tr(live_server, lang, "Email"), exact=True).fill(address)
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Send the link")).click()
    assert page.locator("h1").inner_text() == tr(live_server, lang, "Check your email")
    check_widths(page)

    message = reset_email(live_server, address)
    assert message["Subject"] == tr(live_server, lang, "Reset your password for Mötesplats")
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/password/reset/\S+", body).group(0)
    assert link.startswith(live_server.url)

    visit(page, link.removeprefix(live_server.url))
    assert page.locator("html").get_attribute("lang") == lang  # remembered choice
    check_widths(page)
    page.get_by_label(tr(live_server, lang, "New password"), exact=True).fill("new-password-2")
    page.get_by_label(tr(live_server, lang, "Confirm the new password"), exact=True).fill(
        "new-password-2"
    )
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Save the new password")).click()
    assert page.url.endswith("/login")
    assert tr(live_server, lang, "Your password is changed. Sign in with your new password.") in (
        main_text(page)
    )
    check_widths(page)

    # The link is used up; the page says so and offers a new one.
    visit(page, link.removeprefix(live_server.url), status=410)
    assert tr(
        live_server, lang, "This link has already been used. Ask for a new one if you need it."
    ) in (main_text(page))
    check_widths(page)

    sign_in(page, live_server, address, "new-password-2", lang=lang)


def test_own_account_page_with_a_new_token(page: Any, live_server: LiveServer) -> None:
    lang = "sv"
    address = f"tokens-{uuid.uuid4().hex[:6]}@upphandlingsmyndigheten.se"
    live_server.create_organiser(address, "Tove Token", "token-password-1")
    sign_in(page, live_server, address, "token-password-1", lang=lang)
    with page.expect_navigation():
        page.get_by_role("link", name=tr(live_server, lang, "Your account")).click()
    assert page.url.endswith("/manage/account")
    check_widths(page)

    page.get_by_label(re.compile(re.escape(tr(live_server, lang, "What the token is for")))).fill(
        "Rapportverktyget för statistik"
    )
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Create a token")).click()
    token = page.locator("#new-token").input_value()
    assert len(token) > 30
    row = page.get_by_role("row").filter(has_text="Rapportverktyget för statistik")
    assert f"…{token[-4:]}" in row.inner_text()
    check_widths(page)

    with page.expect_navigation():
        row.get_by_role("button", name=re.compile(tr(live_server, lang, "Revoke"))).click()
    assert tr(live_server, lang, "You have no API tokens.") in main_text(page)
    check_widths(page)


def test_admin_account_pages(page: Any, live_server: LiveServer) -> None:
    lang = "en"
    address = f"admin-{uuid.uuid4().hex[:6]}@upphandlingsmyndigheten.se"
    live_server.create_organiser(address, "Alva Admin", "admin-password-1", admin=True)
    other = live_server.create_organiser(
        f"other-{uuid.uuid4().hex[:6]}@upphandlingsmyndigheten.se", "Olle Other", "other-pass-1"
    )
    sign_in(page, live_server, address, "admin-password-1", lang=lang)
    visit(page, "/manage/organisers", lang=lang)
    check_widths(page)
    visit(page, f"/manage/organisers/{other['id']}", lang=lang)
    check_widths(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Deactivate the account").click()
    assert "The account of Olle Other is deactivated." in main_text(page)
    check_widths(page)
    visit(page, f"/manage/organisers/{other['id']}", lang=lang)
    assert page.get_by_role("button", name="Reactivate the account").count() == 1
    check_widths(page)
