"""Issue 11: an organiser opens one registration from the list and corrects it (the emails
sent to the person listed on its page, the bulk form on the list), and a participant corrects
their organisation from their manage link. axe-core checks every page on the way; at 320 px
no page scrolls sideways."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import (
    label_of,
    new_context,
    register_by_api,
    sign_in,
    tr,
    unique,
    watched_page,
)


@pytest.fixture(scope="module")
def event(live_server: LiveServer, organiser_account: dict[str, Any]) -> dict[str, Any]:
    title = unique("Dialogmöte om sysselsättningskrav")
    return {"slug": live_server.create_event(organiser_account["email"], title=title),
            "title": title}  # fmt: skip


def width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_an_organiser_edits_one_registration(
    browser: Any, live_server: LiveServer, organiser_account: dict[str, Any], event: dict
) -> None:
    context = new_context(browser, live_server, locale="en-GB")
    with watched_page(context) as page:
        email = f"sara.{uuid.uuid4().hex[:8]}@botkyrka.se"
        register_by_api(page, event["slug"], name="Sara Lind", email=email)
        sign_in(page, live_server, organiser_account["email"], organiser_account["password"])
        visit(page, f"/manage/events/{event['slug']}/registrations", lang="en")
        assert_accessible(page)
        # Each row's checkbox is named after its person, in a form with a legend.
        assert page.get_by_label("Choose Sara Lind", exact=True).count() == 1
        assert page.get_by_role("group", name="With the people chosen in the table").count() == 1
        # The checkboxes belong to the bulk form below the table (form="bulk"): no script.
        page.get_by_label("Choose Sara Lind", exact=True).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Check in the chosen").click()
        assert_accessible(page)
        assert "1 person is checked in." in main_text(page)
        with page.expect_navigation():
            page.get_by_role("link", name="Sara Lind", exact=True).first.click()
        assert re.search(r"/registrations/\d+$", page.url), page.url
        assert_accessible(page)
        assert email in main_text(page)
        emails = page.get_by_role("table", name="Emails to Sara Lind")
        assert "Anmälan bekräftad" in emails.inner_text()

        page.get_by_label(label_of(live_server, "en", "Their role or title")).fill("Inköpschef")
        page.get_by_label(tr(live_server, "en", "Target group"), exact=True).select_option(
            "supplier"
        )
        with page.expect_navigation():
            page.get_by_role("button", name="Save the details").click()
        assert_accessible(page)
        assert "The details of Sara Lind are saved." in main_text(page)
        assert page.get_by_label(
            label_of(live_server, "en", "Their role or title")
        ).input_value() == ("Inköpschef")

        # A wrong organisation number: the summary links to the field, nothing is saved.
        page.get_by_label(label_of(live_server, "en", "Organisation number")).fill("212000-0143")
        with page.expect_navigation():
            page.get_by_role("button", name="Save the details").click()
        assert_accessible(page)
        summary = page.locator(".govuk-error-summary")
        assert summary.get_by_role("link").first.get_attribute("href") == "#org_number"

        with page.expect_navigation():
            page.get_by_role("button", name="Send the confirmation again").click()
        assert_accessible(page)
        assert (
            page.get_by_role("table", name="Emails to Sara Lind").locator("tbody tr").count() == 2
        )

        page.set_viewport_size({"width": 320, "height": 800})
        page.reload()
        assert width(page) <= 320, f"the registration page is {width(page)} px wide at 320 px"
        visit(page, f"/manage/events/{event['slug']}/registrations", lang="en")
        assert width(page) <= 320, f"the list is {width(page)} px wide at 320 px"
    context.close()


def test_a_participant_corrects_their_organisation(
    browser: Any, live_server: LiveServer, event: dict
) -> None:
    context = new_context(browser, live_server, locale="sv-SE")
    with watched_page(context) as page:
        registered = register_by_api(page, event["slug"], name="Olle Berg")
        visit(page, f"/r/{registered['token']}", lang="sv")
        assert_accessible(page)
        link = tr(live_server, "sv", "Correct your name, organisation, role, language or needs")
        with page.expect_navigation():
            page.get_by_role("link", name=link).click()
        assert_accessible(page)
        assert page.get_by_label(tr(live_server, "sv", "Email"), exact=True).count() == 0
        page.get_by_label(label_of(live_server, "sv", "Organisation"), exact=True).fill(
            "Helsingin kaupunki"
        )
        page.get_by_label(label_of(live_server, "sv", "Country of the organisation")).select_option(
            "FI"
        )
        page.get_by_label(label_of(live_server, "sv", "Organisation number")).fill("0201256 6")
        with page.expect_navigation():
            page.get_by_role("button", name=tr(live_server, "sv", "Save your details")).click()
        assert page.url.split("?")[0].endswith(f"/r/{registered['token']}")
        assert_accessible(page)
        text = main_text(page)
        assert tr(live_server, "sv", "Your details are saved.") in text
        assert "Helsingin kaupunki" in text

        page.set_viewport_size({"width": 320, "height": 800})
        visit(page, f"/r/{registered['token']}/details", lang="sv")
        assert width(page) <= 320, f"the details page is {width(page)} px wide at 320 px"
    context.close()
