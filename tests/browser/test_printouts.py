"""Printouts in the browser: an organiser opens the print page from the registrations page, asks
for the attendance list in Finnish, and lands on its status page (queued, with a Refresh link);
the worker builds it and the page's script notices and shows it ready, with the number of
people and a download link to a PDF. Without JavaScript the Refresh link does the same. axe-core
finds nothing on either page and nothing scrolls sideways at 320 px."""

from __future__ import annotations

import io
import re
from typing import Any

import sqlalchemy as sa
from pypdf import PdfReader

from tests.browser.conftest import (
    ORGANISER_PASSWORD,
    LiveServer,
    assert_accessible,
    fetch,
    login,
    main_text,
    visit,
)
from tests.browser.flows import tr, unique


def _register(live_server: LiveServer, slug: str, names: list[str]) -> None:
    from core.db import db
    from events.models import Event
    from participants import services
    from tests.participants.helpers import person

    with live_server.app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        for n, name in enumerate(names):
            services.register(event, person(n, name=name, email=f"{slug[:20]}-{n}@example.se"))


def _build(live_server: LiveServer) -> int:
    """What the worker does on its round."""
    from participants.printouts import build_due_printouts

    with live_server.app.app_context():
        return build_due_printouts()


def _fits(page: Any, what: str) -> None:
    """No sideways scrolling at 320 px; back to a desktop width after."""
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, what
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_organiser_makes_the_attendance_list_and_downloads_it(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    lang = "en"

    def t(msgid: str, **values: Any) -> str:
        return tr(live_server, lang, msgid, **values)

    slug = live_server.create_event(organiser_account["email"], title=unique("Workshop"))
    _register(live_server, slug, ["Łukasz Żółć", "Åsa Öberg", "Mikko Virtanen"])
    login(page, organiser_account["email"], ORGANISER_PASSWORD)

    visit(page, f"/manage/events/{slug}/registrations", lang=lang)
    with page.expect_navigation():
        page.get_by_role("link", name=t("Name badges and attendance list to sign (PDF)")).click()
    assert page.url.split("?")[0].endswith(f"/manage/events/{slug}/printouts")
    assert_accessible(page)
    _fits(page, "print page")

    page.get_by_label(t("Language of the printout")).select_option("fi")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Make attendance list")).click()
    assert re.search(rf"/manage/events/{slug}/printouts/\d+$", page.url), page.url
    assert t("Queued") in main_text(page)
    assert page.get_by_role("link", name=t("Refresh")).count() == 1
    assert_accessible(page)
    _fits(page, "status page, queued")

    assert _build(live_server) == 1
    # The page's script asks for the status and reloads itself when it is ready.
    page.get_by_role("link", name=t("Download the PDF")).wait_for(timeout=15_000)
    text = main_text(page)
    assert t("Ready") in text and "3" in text
    assert page.get_by_role("link", name=t("Refresh")).count() == 0
    assert_accessible(page)
    _fits(page, "status page, ready")

    href = page.get_by_role("link", name=t("Download the PDF")).get_attribute("href")
    response = fetch(page, href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.body()))
    pdf = "\n".join(p.extract_text() for p in reader.pages)
    assert "Łukasz Żółć" in pdf and "Åsa Öberg" in pdf and "Allekirjoitus" in pdf

    visit(page, f"/manage/events/{slug}/printouts", lang=lang)
    assert t("Ready") in main_text(page)
    assert_accessible(page)
    _fits(page, "print page with a printout")


def test_without_javascript_the_refresh_link_shows_it_ready(
    browser: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="sv-SE"
    )
    page = context.new_page()
    try:
        lang = "sv"
        slug = live_server.create_event(organiser_account["email"], title=unique("Träff"))
        _register(live_server, slug, ["Anna Andersson"])
        login(page, organiser_account["email"], ORGANISER_PASSWORD, check_axe=False)
        visit(page, f"/manage/events/{slug}/printouts", lang=lang)
        with page.expect_navigation():
            page.get_by_role("button", name=tr(live_server, lang, "Make badges")).click()
        assert tr(live_server, lang, "Queued") in main_text(page)
        _build(live_server)
        with page.expect_navigation():
            page.get_by_role("link", name=tr(live_server, lang, "Refresh")).click()
        assert tr(live_server, lang, "Ready") in main_text(page)
        link = page.get_by_role("link", name=tr(live_server, lang, "Download the PDF"))
        assert link.count() == 1
    finally:
        context.close()
