"""Issue 11's browser test for messages to registrants: an organiser writes a message in Swedish
and Finnish, previews how many people it reaches in which language and what each receives,
sends a test to themself, and schedules it; the list shows it scheduled and it can be cancelled.
axe-core finds nothing on each page, and nothing scrolls sideways at 320 px."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.browser.conftest import (
    ORGANISER_PASSWORD,
    LiveServer,
    assert_accessible,
    login,
    main_text,
    visit,
)
from tests.browser.flows import label_of, local_at, tr, unique


def _register(live_server: LiveServer, slug: str, n: int, language: str) -> None:
    from events.models import Event
    from participants import services
    from tests.participants.helpers import person

    with live_server.app.app_context():
        from core.db import db

        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        services.register(event, person(n, email=f"{slug[:20]}-{n}@example.se", language=language))


def _fits(page: Any, path: str) -> None:
    """No sideways scrolling at 320 px; back to a desktop width after."""
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_organiser_previews_test_sends_and_schedules_a_message(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    lang = "en"

    def t(msgid: str, **values: Any) -> str:
        return tr(live_server, lang, msgid, **values)

    slug = live_server.create_event(organiser_account["email"], title=unique("Workshop"))
    for n, language in enumerate(("sv", "sv", "fi", "en")):
        _register(live_server, slug, n, language)
    login(page, organiser_account["email"], ORGANISER_PASSWORD)

    visit(page, f"/manage/events/{slug}/registrations", lang=lang)
    with page.expect_navigation():
        page.locator("nav.mp-subnav").get_by_role("link", name=t("Email registrants")).click()
    assert page.url.split("?")[0].endswith(f"/manage/events/{slug}/message")
    assert_accessible(page)
    _fits(page, "compose")

    # Sent without a Swedish subject: the error summary links to the field.
    with page.expect_navigation():
        page.get_by_role("button", name=t("Preview"), exact=True).click()
    assert page.get_by_role("alert").count() == 1
    assert page.locator("#subject_sv[aria-invalid=true]").count() == 1
    assert_accessible(page)

    page.get_by_label(label_of(live_server, lang, "Subject in Swedish")).fill("Välkommen")
    page.get_by_label(label_of(live_server, lang, "Message in Swedish")).fill(
        "Ta med din senaste upphandling.\n\nVi ses!"
    )
    page.get_by_label(label_of(live_server, lang, "Subject in Finnish")).fill("Tervetuloa")
    page.get_by_label(label_of(live_server, lang, "Message in Finnish")).fill(
        "Ota mukaan viimeisin hankintasi."
    )
    page.get_by_label(t("At a time of my choosing")).check()
    when = local_at(3, 9, 30)
    page.get_by_label(label_of(live_server, lang, "Date and time (in the event's time zone)")).fill(
        when.isoformat(timespec="minutes")
    )
    with page.expect_navigation():
        page.get_by_role("button", name=t("Preview"), exact=True).click()
    text = main_text(page)
    assert t("It will reach %(people)s.", people="4 people") in text
    preview = page.locator("#preview")
    by_language = preview.get_by_role("table").inner_text()
    assert "Swedish" in by_language and "3 people" in by_language  # English falls back
    assert "Finnish" in by_language and "1 person" in by_language
    assert "Tervetuloa" in preview.inner_text() and "Hei (the recipient" in preview.inner_text()
    assert "Välkommen" in preview.inner_text() and "Hej (the recipient" in preview.inner_text()
    assert_accessible(page)
    _fits(page, "preview")
    page.screenshot(path="/tmp/mailings_tr/preview-1280.png", full_page=True)
    page.set_viewport_size({"width": 320, "height": 640})
    page.screenshot(path="/tmp/mailings_tr/preview-320.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_navigation():
        page.get_by_role("button", name=t("Send a test to me"), exact=True).click()
    assert t(
        "%(num)s test copies are on their way to %(address)s.",
        num=2,
        address=organiser_account["email"],
    ) in main_text(page)
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name=t("Schedule it"), exact=True).click()
    assert page.url.endswith(f"/manage/events/{slug}/mailings")
    text = main_text(page)
    assert (
        t(
            "The message will be sent on %(day)s at %(time)s (%(zone)s).",
            day=f"{when:%Y-%m-%d}",
            time=f"{when:%H:%M}",
            zone="Europe/Stockholm",
        )
        in text
    )
    assert "Välkommen" in text and t("Scheduled") in text
    assert_accessible(page)
    _fits(page, "list")
    page.screenshot(path="/tmp/mailings_tr/list-1280.png", full_page=True)
    page.set_viewport_size({"width": 320, "height": 640})
    page.screenshot(path="/tmp/mailings_tr/list-320.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_navigation():
        page.get_by_role("button", name=t("Cancel")).first.click()
    assert t("The scheduled message is cancelled.") in main_text(page)
    assert_accessible(page)

    # Only the organiser got mail from this; the scheduled message never went out.
    from core.db import db
    from core.models import OutboxMessage

    with live_server.app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "bulk_message")
        ).all()
        ours = [r.recipient for r in rows if r.facts["event"]["slug"] == slug]
    assert ours == [organiser_account["email"]] * 2
