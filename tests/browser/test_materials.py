"""Issue 9's browser test: a visitor finds a material in the library in Finnish, narrows the
list with the filters and downloads the file; axe-core finds nothing on the library and on the
organisers' material pages, and nothing scrolls sideways on a 320 px screen."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    ORGANISER_PASSWORD,
    LiveServer,
    assert_accessible,
    login,
    main_text,
    visit,
)
from tests.browser.flows import tr, unique

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FI_TITLE = "Malliehto työllistämisestä"


@pytest.fixture(scope="module")
def materials(live_server: LiveServer, organiser_account: dict[str, Any]) -> dict[str, Any]:
    """A public model clause with a Finnish title, and a guide in English that the filter must
    leave out."""
    from core.auth import find_organiser
    from materials import services

    title = unique("Modellklausul om sysselsättning")
    with live_server.app.app_context():
        organiser = find_organiser(organiser_account["email"])
        model = services.create_material(
            organiser,
            {
                "title": title,
                "description": "Hur en upphandlande organisation skriver kravet.",
                "translations": {
                    "fi": {"title": FI_TITLE, "description": "Miten ehto kirjoitetaan."}
                },
                "language": "sv",
                "category": "model",
                "languages": ["sv", "fi"],
                "target_groups": ["contracting_authority"],
                "tags": ["avtal"],
                "audience": {"kind": "public"},
            },
            services.Upload(io.BytesIO(PDF), "Modellklausul työllistäminen.pdf"),
        )
        guide = services.create_material(
            organiser,
            {
                "title": unique("Guide for suppliers"),
                "description": "Employment requirements from the supplier's side.",
                "language": "en",
                "category": "guide",
                "languages": ["en"],
                "target_groups": ["supplier"],
                "tags": [],
                "audience": {"kind": "public"},
            },
            services.Upload(io.BytesIO(PDF + b"guide"), "guide.pdf"),
        )
        return {"model": model.id, "guide": guide.id, "guide_title": guide.title}


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 320, "height": 640},
        bypass_csp=True,  # only so that axe-core can be injected
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_visitor_finds_filters_and_downloads_a_material_in_finnish(
    phone: Any, live_server: LiveServer, materials: dict[str, Any]
) -> None:
    page = phone

    def t(msgid: str) -> str:
        return tr(live_server, "fi", msgid)

    visit(page, "/materials", lang="fi")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.get_by_label(t("Search"), exact=True).fill("työllistämisestä")
    page.get_by_label(t("Category"), exact=True).select_option(value="model")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Show materials"), exact=True).click()
    text = main_text(page)
    assert FI_TITLE in text
    assert materials["guide_title"] not in text
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    link = page.get_by_role("link", name=re.compile(rf"^{t('Download')}\s*:\s*{FI_TITLE}"))
    with page.expect_download() as download:
        link.click()
    saved = download.value
    assert saved.suggested_filename.endswith(".pdf")
    assert "työllistäminen" in saved.suggested_filename  # the name keeps its Finnish letters
    assert Path(saved.path()).read_bytes() == PDF

    # The guide is in English, for suppliers: another filter finds it and not the model.
    visit(page, "/materials?category=guide", lang="fi")
    text = main_text(page)
    assert materials["guide_title"] in text and FI_TITLE not in text


def test_the_organisers_material_pages_are_accessible(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any], materials: dict[str, Any]
) -> None:
    slug = live_server.create_event(organiser_account["email"], title=unique("Verkstad"))
    login(page, organiser_account["email"], ORGANISER_PASSWORD)
    for path in (
        "/manage/materials",
        "/manage/materials/new",
        f"/manage/materials/{materials['model']}",
        "/manage/materials/statistics",
        f"/manage/events/{slug}/distributions",
    ):
        visit(page, path, lang="fi")
        assert_accessible(page)
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
        page.set_viewport_size({"width": 1280, "height": 900})
