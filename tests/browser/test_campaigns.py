"""Issue 12's browser test for campaigns: from the event's page an organiser opens "Invite
earlier participants", narrows the audience, previews how many people and organisations it
reaches by target group and the invitation in each language, and sends it; the list shows the
campaign's progress. The invited person's link opens the registration form filled in, and the
withdrawal page asks before it withdraws. axe-core finds nothing on each page, and nothing
scrolls sideways at 320 px. Screenshots at 1280 and 320 px go to $CAMPAIGN_SCREENSHOTS."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.browser.conftest import (
    ORGANISER_PASSWORD,
    LiveServer,
    assert_accessible,
    login,
    logout,
    main_text,
    visit,
)
from tests.browser.flows import label_of, tr, unique

SHOTS = os.environ.get("CAMPAIGN_SCREENSHOTS")


def _register(live_server: LiveServer, slug: str, n: int, **overrides: Any) -> None:
    from events.models import Event
    from participants import services
    from tests.participants.helpers import person

    with live_server.app.app_context():
        from core.db import db

        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        email = f"{slug[:20]}-{n}@example.se"
        services.register(event, person(n, email=email, consent_future_invitations=True,
                                        **overrides))  # fmt: skip


def _send_and_first_token(live_server: LiveServer) -> str:
    from core.db import db, utcnow
    from outreach import campaigns
    from outreach.models import CampaignRecipient

    with live_server.app.app_context():
        campaigns.send_due_campaigns(now=utcnow() + timedelta(seconds=1))
        return db.session.scalar(
            sa.select(CampaignRecipient.token).order_by(CampaignRecipient.id.desc()).limit(1)
        )


def _check(page: Any, name: str) -> None:
    """axe-core finds nothing; nothing scrolls sideways at 320 px; screenshots at both."""
    assert_accessible(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-320.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 320, f"{name} is {width} px wide at 320 px"


def test_an_organiser_previews_and_sends_a_campaign_and_the_link_fills_the_form(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    lang = "en"

    def t(msgid: str, **values: Any) -> str:
        return tr(live_server, lang, msgid, **values)

    earlier = live_server.create_event(organiser_account["email"], title=unique("Förra"))
    upcoming = live_server.create_event(organiser_account["email"], title=unique("Nästa"))
    for n, language in enumerate(("sv", "fi")):
        _register(live_server, earlier, n, language=language)
    _register(
        live_server,
        earlier,
        9,
        language="en",
        target_group="supplier",
        organisation={"name": "Bygg AB", "org_number": "556677-8899", "country": "SE"},
    )
    login(page, organiser_account["email"], ORGANISER_PASSWORD)

    visit(page, f"/manage/events/{upcoming}", lang=lang)
    with page.expect_navigation():
        page.get_by_role("link", name=t("Invite earlier participants")).click()
    assert page.url.endswith(f"/manage/events/{upcoming}/campaigns")
    _check(page, "campaigns-empty")
    with page.expect_navigation():
        page.get_by_role("link", name=t("Invite earlier participants")).click()
    _check(page, "campaign-new")

    page.get_by_label(label_of(live_server, lang, "Subject in Finnish")).fill("Tervetuloa")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Preview"), exact=True).click()
    text = main_text(page)
    reach = t("It will reach %(people)s from %(organisations)s.",
              people="3 people", organisations="2 organisations")  # fmt: skip
    assert reach in text
    preview = page.locator("#preview")
    assert "Suppliers" in preview.get_by_role("table").first.inner_text()
    assert "Tervetuloa" in preview.inner_text() and "Inbjudan:" in preview.inner_text()
    _check(page, "campaign-preview")

    page.get_by_label(t("Suppliers")).check()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Preview again"), exact=True).click()
    assert t("It will reach %(people)s from %(organisations)s.",
             people="1 person", organisations="1 organisation") in main_text(page)  # fmt: skip
    with page.expect_navigation():
        page.get_by_role("button", name=t("Send it"), exact=True).click()
    assert page.url.endswith(f"/manage/events/{upcoming}/campaigns")
    assert t("The invitations are on their way; the list shows how far they have got.") in (
        main_text(page)
    )
    token = _send_and_first_token(live_server)
    page.reload()
    listing = page.get_by_role("table").first.inner_text()
    assert "Suppliers" in listing and "1" in listing
    _check(page, "campaigns-sent")
    logout(page)

    # The invited person (English): the form filled in, then the withdrawal page.
    visit(page, f"/i/{token}")
    assert "/register" in page.url
    assert page.get_by_label(t("Organisation"), exact=True).input_value() == "Bygg AB"
    assert page.get_by_label(t("Suppliers")).is_checked()
    _check(page, "register-prefilled")
    visit(page, f"/i/{token}/withdraw")
    assert page.get_by_role("button", name=t("Withdraw my consent")).count() == 1
    _check(page, "withdraw")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Withdraw my consent")).click()
    assert t("Your consent is withdrawn. We send you no more invitations.") in main_text(page)
    _check(page, "withdrawn")
