"""Helpers for the browser flows: the app's own translations (so a locator reads what a
visitor in that language reads), local times for date inputs, calendar text, a signed-in
context that lives for a whole module, and the steps a visitor or organiser takes often.

Locators go by label and role wherever the page offers them: a field that cannot be found by
its label is a field a screen-reader user cannot find either.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext

from tests.browser.conftest import AXE, LiveServer, assert_accessible, visit

LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> takes


# --- words ---------------------------------------------------------------------------------------


def tr(live_server: LiveServer, lang: str, msgid: str, **variables: Any) -> str:
    """msgid as the app shows it in lang (the same catalogues the server reads)."""
    with live_server.app.test_request_context("/"), force_locale(lang):
        return str(gettext(msgid, **variables))


def label_of(live_server: LiveServer, lang: str, msgid: str) -> re.Pattern[str]:
    """A field's label as the page writes it, with or without the "(optional)" the form adds
    to optional fields: a locator that finds the field either way."""
    optional = re.escape(tr(live_server, lang, "optional"))
    return re.compile(rf"^{re.escape(tr(live_server, lang, msgid))}( \({optional}\))?$")


def words(text: str) -> re.Pattern[str]:
    """A pattern that finds text inside a longer accessible name (e.g. with a hidden suffix)."""
    return re.compile(re.escape(text))


def unique(prefix: str) -> str:
    """A title no other test in this browser session uses (they share one database)."""
    return f"{prefix} {uuid.uuid4().hex[:6]}"


# --- times ---------------------------------------------------------------------------------------


def local_at(days_ahead: int, hour: int, minute: int = 0, tz: str = "Europe/Stockholm") -> datetime:
    """A wall-clock time days_ahead days from today in tz (negative: in the past)."""
    day = datetime.now(ZoneInfo(tz)).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, minute)


def as_input(moment: datetime) -> str:
    return moment.strftime(LOCAL_INPUT)


# --- calendar files ------------------------------------------------------------------------------


def unfold(ics: str) -> str:
    """Undo RFC 5545 line folding (CRLF followed by a space or tab) before searching."""
    return re.sub(r"\r?\n[ \t]", "", ics)


def vevents(ics: str) -> list[str]:
    """The text of each VEVENT in an unfolded calendar."""
    return re.findall(r"BEGIN:VEVENT\r?\n(.*?)END:VEVENT", ics, flags=re.S)


# --- contexts ------------------------------------------------------------------------------------


def new_context(browser: Any, live_server: LiveServer, locale: str = "sv-SE") -> Any:
    """A browser context like conftest's (our CSP is bypassed only so axe-core can run), with
    axe-core loaded into every page as it opens: quicker than adding it page by page."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale=locale)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    return context


@dataclass
class WatchedPage:
    """A page whose JavaScript errors are collected; check() fails on any."""

    page: Any
    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Fail on the JavaScript errors seen since the last check."""
        errors, self.errors[:] = list(self.errors), []
        assert not errors, f"JavaScript errors on the page: {errors}"


def watch(page: Any) -> WatchedPage:
    watched = WatchedPage(page)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    return watched


@contextmanager
def watched_page(context: Any) -> Iterator[Any]:
    """A fresh page in context, closed afterwards; a JavaScript error on it fails the test."""
    watched = watch(context.new_page())
    try:
        yield watched.page
    finally:
        watched.page.close()
    watched.check()


def sign_in(
    page: Any, live_server: LiveServer, email: str, password: str, lang: str = "en"
) -> None:
    """Sign in through the form, found by its labels and button in lang."""
    visit(page, "/login", lang=lang)
    assert_accessible(page)
    page.get_by_label(tr(live_server, lang, "Email"), exact=True).fill(email)
    page.get_by_label(tr(live_server, lang, "Password"), exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Sign in"), exact=True).click()
    assert re.search(r"/manage/?$", page.url), page.url


# --- visitors ------------------------------------------------------------------------------------


def find_in_listing(page: Any, live_server: LiveServer, lang: str, title: str) -> Any:
    """The link to title in the event list on the current page, following "Next page" links
    as a visitor would (other tests share the database, so the list may be long)."""
    for _page_number in range(20):
        link = page.get_by_role("link", name=title, exact=True)
        if link.count():
            return link
        following = page.get_by_role("link", name=tr(live_server, lang, "Next page"), exact=True)
        if not following.count():
            break
        with page.expect_navigation():
            following.click()
    raise AssertionError(f"{title!r} is not listed on {page.url}")


def switch_language(page: Any, label: str, lang: str) -> None:
    """Follow a link in the header's language menu; the page must now be in lang."""
    menu = page.get_by_role("navigation", name=re.compile(r".+")).filter(
        has=page.locator("a[hreflang]")
    )
    with page.expect_navigation():
        menu.get_by_role("link", name=label, exact=True).click()
    assert page.locator("html").get_attribute("lang") == lang, page.url


def session_data(title: str, starts: datetime, ends: datetime, **extra: Any) -> dict[str, Any]:
    """A session as events.services (and the JSON API) take it: naive local times."""
    return {"title": title, "starts_at": as_input(starts), "ends_at": as_input(ends), **extra}


def register_by_api(page: Any, slug: str, **person: Any) -> dict[str, Any]:
    """Register someone through the public JSON API (for pages that need registrations)."""
    body = {
        "name": "Sara Lind",
        "email": f"{uuid.uuid4().hex[:10]}@botkyrka.se",
        "organisation": {"name": "Botkyrka kommun", "org_number": "212000-2882", "country": "SE"},
        "target_group": "contracting_authority",
        "role": "Upphandlare",
        "language": "sv",
        "sessions": [],
        "needs": "",
        "consent_future_invitations": False,
    } | person
    response = page.request.post(f"/api/v1/events/{slug}/registrations", data=body)
    assert response.status == 201, response.text()
    return response.json()
