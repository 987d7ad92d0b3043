"""Issue 3's browser test: people register from the event page in Swedish and in Finnish,
land on their own page (/r/<token>), and cancel from it through its confirmation step; a
registration with a wrong organisation number shows the error summary and the field's error.
axe-core checks every page on the way. A Finnish visitor on a 320 px phone registers from the
box at the top of the event page (issue 8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import label_of, local_at, session_data, tr, unique, words

DAY = 30  # the event is a month ahead


@pytest.fixture(scope="module")
def event(live_server: LiveServer, organiser_account: dict[str, Any]) -> dict[str, Any]:
    """A published workshop with two sessions, open to procurers and suppliers."""
    title = unique("Verkstad om sysselsättningskrav")
    sessions = [
        ("Planera och kartlägga", local_at(DAY, 9), local_at(DAY, 11)),
        ("Upphandla och följa upp", local_at(DAY, 13), local_at(DAY, 15)),
    ]
    slug = live_server.create_event(
        organiser_account["email"],
        title=title,
        starts_at=local_at(DAY, 8, 30).isoformat(),
        ends_at=local_at(DAY, 16).isoformat(),
        capacity=40,
        sessions=[
            session_data(name, start, end, room="Sal A", capacity=20)
            for name, start, end in sessions
        ],
    )
    return {"slug": slug, "title": title, "sessions": [s[0] for s in sessions]}


PEOPLE = {
    "sv": {
        "name": "Maria Johansson",
        "email": "maria.johansson@stockholm.se",
        "role": "Upphandlare",
        "organisation": "Stockholms stad",
        "country": "Sweden",
        "org_number": "212000-0142",
        "needs": "Vegetarisk kost",
    },
    "fi": {
        "name": "Aino Virtanen",
        "email": "aino.virtanen@hel.fi",
        "role": "Hankinta-asiantuntija",
        "organisation": "Helsingin kaupunki",
        "country": "Finland",
        "org_number": "0201256-6",
        "needs": "",
    },
}


def open_form(page: Any, live_server: LiveServer, slug: str, lang: str) -> None:
    """From the event page in lang, follow "Register for the event"."""
    visit(page, f"/events/{slug}", lang=lang)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role(
            "link", name=tr(live_server, lang, "Register for the event"), exact=True
        ).click()
    assert page.url.endswith(f"/events/{slug}/register"), page.url
    assert page.locator("html").get_attribute("lang") == lang  # the choice is remembered
    assert_accessible(page)


def fill_form(
    page: Any, live_server: LiveServer, lang: str, person: dict[str, str], session: str
) -> None:
    def t(msgid: str) -> str:
        return tr(live_server, lang, msgid)

    page.get_by_label(t("Name"), exact=True).fill(person["name"])
    page.get_by_label(t("Email"), exact=True).fill(person["email"])
    page.get_by_label(label_of(live_server, lang, "Role or title")).fill(person["role"])
    page.get_by_role("group", name=t("Target group")).get_by_label(
        t("Contracting authorities"), exact=True
    ).check()
    preferred = page.get_by_label(
        t("Preferred language for emails and your registration page"), exact=True
    )
    assert preferred.input_value() == lang  # the page's language is offered first
    page.get_by_label(t("Organisation"), exact=True).fill(person["organisation"])
    page.get_by_label(t("Country of the organisation"), exact=True).select_option(
        label=t(person["country"])
    )
    page.get_by_label(label_of(live_server, lang, "Organisation number")).fill(person["org_number"])
    page.get_by_role("group", name=t("Sessions you will attend")).get_by_label(
        words(session)
    ).check()
    page.get_by_label(label_of(live_server, lang, "Dietary and accessibility needs")).fill(
        person["needs"]
    )
    invitations = page.get_by_label(
        t("Yes, send me invitations to future events of the project"), exact=True
    )
    assert not invitations.is_checked()  # the opt-in starts unticked


def submit(page: Any, live_server: LiveServer, lang: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Register"), exact=True).click()


@pytest.mark.parametrize("lang", ["sv", "fi"])
def test_register_from_the_event_page_then_cancel_from_the_manage_link(
    page: Any, live_server: LiveServer, event: dict[str, Any], lang: str
) -> None:
    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, lang, msgid, **kw)

    person = PEOPLE[lang]
    session = event["sessions"][1]
    open_form(page, live_server, event["slug"], lang)
    assert page.get_by_role("heading", level=1).inner_text() == t(
        "Register for %(title)s", title=event["title"]
    )
    fill_form(page, live_server, lang, person, session)
    submit(page, live_server, lang)

    # The person's own page, in the language they chose.
    match = re.search(r"/r/([A-Za-z0-9_-]{22,})$", page.url)
    assert match, f"not on a manage page: {page.url}\n{main_text(page)}"
    manage_path = f"/r/{match.group(1)}"
    assert page.locator("html").get_attribute("lang") == lang
    text = main_text(page)
    assert t("Thank you, you are registered. We have sent a confirmation by email.") in text
    assert t("You have a place at the event.") in text
    assert person["name"] in text, text
    assert person["organisation"] in text, text
    assert session in text
    assert page.get_by_role("link", name=t("Your ticket with a QR code"), exact=True).count() == 1
    assert_accessible(page)

    # Cancel: the link leads to a confirmation step first.
    with page.expect_navigation():
        page.get_by_role("link", name=t("Cancel my registration…"), exact=True).click()
    assert page.url.split("?")[0].endswith(f"{manage_path}/cancel")
    assert page.get_by_role("heading", level=1).inner_text() == t(
        "Cancel your registration for %(title)s", title=event["title"]
    )
    assert_accessible(page)
    with page.expect_navigation():  # "No" keeps the registration
        page.get_by_role("link", name=t("No, keep my registration"), exact=True).click()
    assert page.url.split("?")[0].endswith(manage_path)
    assert t("You have a place at the event.") in main_text(page)
    with page.expect_navigation():
        page.get_by_role("link", name=t("Cancel my registration…"), exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Yes, cancel my registration"), exact=True).click()

    assert page.url.split("?")[0].endswith(manage_path)
    assert page.locator("html").get_attribute("lang") == lang
    text = main_text(page)
    assert t("Your registration is cancelled. Thank you for letting us know.") in text
    assert t("Your registration is cancelled.") in text
    assert t("You have a place at the event.") not in text
    assert page.get_by_role("link", name=t("Cancel my registration…"), exact=True).count() == 0
    assert page.get_by_role("link", name=t("Your ticket with a QR code"), exact=True).count() == 0
    assert_accessible(page)


def test_a_wrong_organisation_number_is_explained_next_to_the_field(
    page: Any, live_server: LiveServer, event: dict[str, Any]
) -> None:
    lang = "sv"

    def t(msgid: str) -> str:
        return tr(live_server, lang, msgid)

    person = PEOPLE["sv"] | {
        "name": "Olof Nilsson",
        "email": "olof.nilsson@stockholm.se",
        "org_number": "212000-0143",  # Stockholm's number with the wrong check digit
    }
    open_form(page, live_server, event["slug"], lang)
    fill_form(page, live_server, lang, person, event["sessions"][0])
    submit(page, live_server, lang)

    assert page.url.endswith(f"/events/{event['slug']}/register")  # not registered
    message = t("The organisation number's check digit is wrong.")
    summary = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name=t("Please correct the following"))
    )
    assert summary.count() == 1
    summary_link = summary.get_by_role("link", name=words(message))
    assert summary_link.get_attribute("href") == "#org_number"
    field = page.get_by_label(label_of(live_server, lang, "Organisation number"))
    assert field.get_attribute("aria-invalid") == "true"
    error_id = f"{field.get_attribute('id')}-error"
    assert error_id in (field.get_attribute("aria-describedby") or "").split()
    # "Fel:" first, visually hidden: a screen reader hears that this is an error.
    shown = re.sub(r"\s+", " ", page.locator(f"#{error_id}").inner_text()).strip()
    assert shown == f"{t('Error')}: {message}"
    # What was typed is kept, so only the number needs correcting.
    assert page.get_by_label(t("Name"), exact=True).input_value() == person["name"]
    assert_accessible(page)

    summary_link.click()  # the summary's link takes the keyboard to the field
    assert field.evaluate("el => el === document.activeElement")

    field.fill("212000-0142")
    submit(page, live_server, lang)
    # (the redirect keeps the #org_number of the summary link that was followed)
    assert re.search(r"/r/[A-Za-z0-9_-]{22,}$", page.url.split("#")[0]), main_text(page)
    assert t("You have a place at the event.") in main_text(page)


FI_TITLE = "Työllistämisehto käytännössä – työpaja"


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A 320 px phone screen (bypass_csp only so that axe-core can be injected)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 320, "height": 640}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_finnish_visitor_on_a_phone_registers_from_the_box_at_the_top(
    phone: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    """Issue 8: the event page opens with what a person decides on (when, where, who for, the
    places) and the one register button; the Finnish title is shown on the Finnish page."""
    slug = live_server.create_event(
        organiser_account["email"],
        title=unique("Sysselsättningskrav i praktiken – verkstad"),
        translations={"fi": {"title": FI_TITLE, "description": "Miten ehto kirjoitetaan."}},
        starts_at=local_at(DAY, 9).isoformat(),
        ends_at=local_at(DAY, 15).isoformat(),
        capacity=25,
    )
    page = phone

    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, "fi", msgid, **kw)

    visit(page, f"/events/{slug}", lang="fi")
    assert page.get_by_role("heading", level=1).inner_text() == FI_TITLE
    assert page.locator("h1").get_attribute("lang") is None  # the page's own language
    box = page.locator("section.mp-decide")
    box_text = box.inner_text()
    for fact in (t("When"), t("Where"), t("Who it is for")):
        assert fact in box_text
    assert "25" in box_text  # the places left, before anyone registered
    button = box.get_by_role("link", name=t("Register for the event"), exact=True)
    # Above everything else the page holds: the agenda and the facts come after the box.
    top = button.bounding_box()["y"]
    assert top < page.locator("#about-heading").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)

    with page.expect_navigation():
        button.click()
    assert page.get_by_role("heading", level=1).inner_text() == t(
        "Register for %(title)s", title=FI_TITLE
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    person = dict(PEOPLE["fi"], email=unique("aino").replace(" ", "") + "@hel.fi")
    page.get_by_label(t("Name"), exact=True).fill(person["name"])
    page.get_by_label(t("Email"), exact=True).fill(person["email"])
    page.get_by_role("group", name=t("Target group")).get_by_label(
        t("Contracting authorities"), exact=True
    ).check()
    page.get_by_label(t("Organisation"), exact=True).fill(person["organisation"])
    page.get_by_label(t("Country of the organisation"), exact=True).select_option(
        label=t(person["country"])
    )
    page.get_by_label(label_of(live_server, "fi", "Organisation number")).fill(person["org_number"])
    submit(page, live_server, "fi")
    assert re.search(r"/r/[A-Za-z0-9_-]{22,}$", page.url), main_text(page)
    text = main_text(page)
    assert t("You have a place at the event.") in text
    assert FI_TITLE in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)
