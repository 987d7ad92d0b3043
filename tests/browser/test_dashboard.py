"""An organiser signs in and reads the dashboard at /manage/: the fill of their event, its chart
with an accessible name beside the table of the same numbers; axe-core finds nothing, and the
page fits a 320 px screen."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, assert_accessible, visit
from tests.browser.flows import (
    local_at,
    new_context,
    register_by_api,
    session_data,
    sign_in,
    tr,
    unique,
    watched_page,
)


@pytest.fixture(scope="module")
def dashboard_organiser(live_server: LiveServer) -> dict[str, Any]:
    """An organiser of their own, so the dashboard shows only the event made here."""
    email = f"dash-{uuid.uuid4().hex[:8]}@upphandlingsmyndigheten.se"
    return live_server.create_organiser(email, "Dana Dashboard", "dashboard-secret-1")


@pytest.fixture(scope="module")
def seeded_event(live_server: LiveServer, dashboard_organiser: dict[str, Any]) -> dict[str, Any]:
    title = unique("Instrumentpanelens upphandlingsworkshop")
    start, end = local_at(9, 9), local_at(9, 15)
    slug = live_server.create_event(
        dashboard_organiser["email"],
        title=title,
        capacity=10,
        target_groups=[{"code": "contracting_authority"}, {"code": "supplier", "quota": 1}],
        sessions=[session_data("Förmiddagens verkstad", start, local_at(9, 11), capacity=2)],
        starts_at=start.strftime("%Y-%m-%dT%H:%M"),
        ends_at=end.strftime("%Y-%m-%dT%H:%M"),
    )
    return {"title": title, "slug": slug}


@pytest.mark.parametrize("lang", ["sv", "en", "fi"])
def test_an_organiser_reads_the_dashboard(
    browser, live_server, dashboard_organiser, seeded_event, lang
):
    context = new_context(browser, live_server)
    try:
        with watched_page(context) as page:
            if lang == "sv":  # register once, through the public API
                for n, group in enumerate(["contracting_authority", "supplier", "supplier"]):
                    register_by_api(page, seeded_event["slug"], target_group=group, name=f"P {n}")
            sign_in(page, live_server, dashboard_organiser["email"], "dashboard-secret-1", lang)
            visit(page, "/manage/", lang=lang)

            heading = tr(live_server, lang, "How your events fill")
            assert page.get_by_role("heading", name=heading, exact=True).is_visible()
            section = page.get_by_role("region", name=seeded_event["title"], exact=True)
            assert section.is_visible()
            # 2 confirmed of 10 places; the supplier quota of 1 is full, one supplier waits.
            fill = tr(live_server, lang, "%(num)s of %(limit)s (%(percent)s %%)",
                      num=2, limit=10, percent=20)  # fmt: skip
            assert section.get_by_text(fill, exact=True).count() == 1
            chart_name = tr(live_server, lang, "Registrations by target group: %(title)s",
                            title=seeded_event["title"])  # fmt: skip
            assert section.get_by_role("img", name=chart_name, exact=True).is_visible()
            table = section.get_by_role("table", name=chart_name, exact=True)
            assert table.is_visible()
            suppliers = tr(live_server, lang, "Suppliers")
            row = table.get_by_role("row", name=re.compile(re.escape(suppliers)))
            assert [c.strip() for c in row.locator("td").all_inner_texts()] == ["1", "1"]
            assert_accessible(page)

            page.set_viewport_size({"width": 320, "height": 800})
            page.reload()
            # Everything of the dashboard fits (the list of events below it is the design's
            # to stack: its table is 364 px wide before the GOV.UK Frontend styles land).
            width = page.evaluate(
                """() => Math.max(...[...document.querySelectorAll('.dashboard, .dashboard *')]
                    .map(e => e.getBoundingClientRect().right))"""
            )
            assert width <= 320, f"the dashboard in {lang} is {width} px wide at 320 px"
            assert_accessible(page)
    finally:
        context.close()
