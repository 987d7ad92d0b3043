"""Issue 10's gaps in a browser: an organiser changes a question (its type, range and options)
and a section on the manage pages, with and without errors; the answering page shows an error
at its question; the results and impact pages pass axe-core at 320 px and 1280 px."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import ORGANISER_PASSWORD, LiveServer, assert_accessible, login, visit
from tests.browser.flows import unique

SIZES = ({"width": 320, "height": 800}, {"width": 1280, "height": 900})


def fits(page: Any) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def everywhere(page: Any) -> None:
    """axe-core at both widths, and nothing wider than the screen."""
    for size in SIZES:
        page.set_viewport_size(size)
        assert_accessible(page)
        fits(page)


@pytest.fixture
def survey(live_server: LiveServer, organiser_account: dict[str, Any]) -> dict[str, Any]:
    from core.db import db
    from events.models import Event
    from surveys.models import SurveyInvitation
    from tests.surveys.helpers import attendees, build_survey

    slug = live_server.create_event(organiser_account["email"], title=unique("Enkätpaja"))
    with live_server.app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        built = build_survey(event)
        registration = attendees(event, 1)[0]
        row = SurveyInvitation(survey_id=built.id, registration_id=registration.id,
                               email=registration.email, language="sv")  # fmt: skip
        db.session.add(row)
        db.session.commit()
        return {
            "id": built.id,
            "token": row.token,
            "questions": {q.code: q.id for q in built.questions},
            "section": built.sections[0].id,
        }


def _stored(live_server: LiveServer, question_id: int) -> Any:
    from core.db import db
    from surveys.models import SurveyQuestion

    with live_server.app.app_context():
        q = db.session.get(SurveyQuestion, question_id)
        return q.type, q.min_value, q.max_value, [(o.code, o.label) for o in q.options]


def test_the_organiser_changes_a_question_and_a_section(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any], survey: dict[str, Any]
) -> None:
    login(page, organiser_account["email"], ORGANISER_PASSWORD, check_axe=False)
    base = f"/manage/surveys/{survey['id']}"
    visit(page, base, "en")
    everywhere(page)
    # A yes-or-no question becomes a number from 1 to 10; first with the range upside down.
    question = survey["questions"]["would_recommend"]
    visit(page, f"{base}/questions/{question}", "en")
    everywhere(page)
    page.select_option("#type", "number")
    page.fill("#min", "10")
    page.fill("#max", "1")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    group = page.locator(".govuk-form-group--error:has(#max)")
    assert group.count() == 1
    assert "The highest value must not be below the lowest." in group.inner_text()
    assert page.locator(".govuk-error-summary a[href='#max']").count() == 1
    everywhere(page)
    page.fill("#min", "1")
    page.fill("#max", "10")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(f"{base}#question-{question}")
    assert _stored(live_server, question)[:3] == ("number", 1, 10)
    # A single choice gets a third option, with its Finnish label.
    choice = survey["questions"]["used_employment_requirements"]
    visit(page, f"{base}/questions/{choice}", "en")
    page.fill("#options-3-code", "unsure")
    page.fill("#options-3-label_sv", "Vet inte")
    page.fill("#options-3-label_fi", "En tiedä")
    page.fill("#text_en", "Have you used them?")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert ("unsure", "Vet inte") in _stored(live_server, choice)[3]
    # The section's heading, in Finnish too; first left empty in Swedish.
    visit(page, f"{base}/sections/{survey['section']}", "en")
    everywhere(page)
    page.fill("#title_sv", "")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".govuk-form-group--error:has(#title_sv) .govuk-error-message").count()
    assert page.locator(".govuk-error-summary a[href='#title_sv']").count() == 1
    everywhere(page)
    page.fill("#title_sv", "Om dagen")
    page.fill("#title_fi", "Päivästä")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "Om dagen" in page.locator("main").inner_text()
    # The settings page, with several target groups.
    visit(page, f"{base}/settings", "en")
    everywhere(page)
    page.check("#audience-groups")
    page.check("#target_groups-supplier")
    page.check("#target_groups-matchmaker")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/settings" not in page.url
    visit(page, f"{base}/questions/new", "fi")
    everywhere(page)


def test_the_answering_page_shows_an_error_at_its_question(
    page: Any, live_server: LiveServer, survey: dict[str, Any]
) -> None:
    visit(page, f"/s/{survey['token']}", "en")
    with page.expect_navigation():
        page.locator("button[value=submit]").click()
    useful = f"q-{survey['questions']['useful']}"
    group = page.locator(f".govuk-form-group--error:has(#{useful}-fieldset)")
    assert group.count() == 1
    assert group.locator(f"#{useful}-error").inner_text().endswith("Select an answer.")
    link = page.locator(f".govuk-error-summary a[href='#{useful}-fieldset']")
    assert link.count() == 1
    everywhere(page)


def test_results_and_impact_pages_pass_axe_at_both_widths(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any], survey: dict[str, Any]
) -> None:
    from core.db import db
    from surveys.models import Survey
    from tests.surveys.test_results import DATA, respond

    with live_server.app.app_context():
        found = db.session.get(Survey, survey["id"])
        for answers, breakdown in DATA:
            respond(found, answers, **breakdown)
        db.session.commit()
    login(page, organiser_account["email"], ORGANISER_PASSWORD, check_axe=False)
    for path in (
        f"/manage/surveys/{survey['id']}/results",
        f"/manage/surveys/{survey['id']}/results?target_group=supplier",
        f"/manage/surveys/{survey['id']}/invitations",
        "/manage/impact",
    ):
        for lang in ("sv", "en"):
            visit(page, path, lang)
            everywhere(page)
