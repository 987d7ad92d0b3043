"""WCAG 1.4.10 (reflow): at 320 CSS pixels the public pages do not scroll sideways, even when an
event's title holds a long Finnish word and its page is read in each language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, visit
from tests.browser.flows import unique

LONG_TITLE = "Työllistämisehto julkisissa hankinnoissa – työpaja hankintayksiköille"


@pytest.fixture(scope="module")
def slug(live_server: LiveServer, organiser_account: dict[str, Any]) -> str:
    return live_server.create_event(
        organiser_account["email"], title=unique(LONG_TITLE), language="fi"
    )


@pytest.mark.parametrize("lang", ["sv", "en", "fi"])
def test_public_pages_fit_a_320_px_screen(browser, live_server, slug, lang):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        for path in ("/", f"/events/{slug}", f"/events/{slug}/register"):
            visit(page, path, lang)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{path} in {lang} is {width} px wide at 320 px"
    finally:
        context.close()
