"""Issue 10's results page in a browser: axe-core finds nothing on it (charts with their
tables, the "fewer than 5" notices, the filter form, a bad filter's error summary) and nothing
scrolls sideways on a 320 px screen."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ORGANISER_PASSWORD, LiveServer, assert_accessible, login, visit
from tests.browser.flows import unique

# The elements reaching past the screen's edge, to say which one scrolls the page sideways.
WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > 322)
  .map(e => `${e.tagName}.${e.className}#${e.id}`).slice(0, 10)"""


def test_the_results_page_is_accessible(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    from core.db import db
    from events.models import Event
    from tests.surveys.test_results import seeded

    slug = live_server.create_event(organiser_account["email"], title=unique("Enkätverkstad"))
    with live_server.app.app_context():
        event = db.session.query(Event).filter_by(slug=slug).one()
        survey_id = seeded(event, anonymous=True).id
    login(page, organiser_account["email"], ORGANISER_PASSWORD)
    for path, status in (
        (f"/manage/surveys/{survey_id}/results", 200),
        (f"/manage/surveys/{survey_id}/results?target_group=supplier", 200),
        (f"/manage/surveys/{survey_id}/results?country=NO", 422),
    ):
        for lang in ("sv", "fi"):
            visit(page, path, lang=lang, status=status)
            assert_accessible(page)
            page.set_viewport_size({"width": 320, "height": 640})
            wide = page.evaluate(WIDE)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, (path, wide)
            page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, f"/manage/surveys/{survey_id}/results", lang="sv")
    assert page.locator("figure.mp-chart-figure svg").count() >= 1
    assert page.locator("figure.mp-chart-figure table").count() >= 1
