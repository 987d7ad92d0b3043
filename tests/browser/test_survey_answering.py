"""Answering a survey in Finnish with the keyboard alone (Tab, Space, Enter: no clicks) on a
320 px screen: the form, its error summary (which takes the focus) and the thank-you page
pass axe-core and never scroll sideways."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveServer, assert_accessible, visit
from tests.browser.flows import tr, unique


@pytest.fixture
def invitation(live_server: LiveServer, organiser_account: dict[str, Any]) -> dict[str, Any]:
    from core.db import db
    from events.models import Event
    from surveys.models import SurveyInvitation
    from tests.surveys.helpers import attendees, build_survey

    slug = live_server.create_event(organiser_account["email"], title=unique("Kyselypaja"))
    with live_server.app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        survey = build_survey(event)
        registration = attendees(event, 1, language="fi")[0]
        row = SurveyInvitation(survey_id=survey.id, registration_id=registration.id,
                               email=registration.email, language="fi")  # fmt: skip
        db.session.add(row)
        db.session.commit()
        ids = {q.code: q.id for q in survey.questions}
        return {"token": row.token, "id": row.id, "questions": ids, "survey": survey.id}


@pytest.fixture
def narrow(browser: Any, live_server: LiveServer) -> Any:
    # bypass_csp only so that axe-core can be injected (as in conftest).
    context = browser.new_context(base_url=live_server.url, viewport={"width": 320, "height": 800},
                                  bypass_csp=True, locale="sv-SE")  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the element is focused (the keyboard user's way there)."""
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_survey_is_answered_in_finnish_with_the_keyboard(narrow, live_server, invitation):
    page = narrow
    q = invitation["questions"]
    # The invitation's language, though the browser asks for Swedish.
    page.goto(f"/s/{invitation['token']}")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.get_by_role("heading", level=1).inner_text() == "Mitä pidit?"
    assert_accessible(page)
    fits(page)

    # Sending with the required questions empty: the summary takes the focus.
    send = tr(live_server, "fi", "Send your answers")
    tab_to(page, "button[value=submit]")
    assert page.evaluate("document.activeElement.textContent.trim()") == send
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')"), (
        "the error summary should take the focus"
    )
    assert (
        tr(live_server, "fi", "Select an answer.")
        in page.locator(".govuk-error-summary").inner_text()
    )
    assert_accessible(page)
    fits(page)

    # Answer with Tab, Space and the arrows, then Enter on the send button.
    tab_to(page, f"#q-{q['useful']}-1")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # moves the choice within the group: 4
    tab_to(page, f"#q-{q['used_employment_requirements']}-yes")
    page.keyboard.press("Space")
    tab_to(page, f"#q-{q['readiness']}-decision")
    page.keyboard.press("Space")
    tab_to(page, f"#q-{q['readiness']}-matchmaker")
    page.keyboard.press("Space")
    tab_to(page, f"#q-{q['procurements_advanced']}")
    page.keyboard.type("3,5")
    tab_to(page, f"#q-{q['comments']}")
    page.keyboard.type("Hyvä päivä.")
    tab_to(page, "button[value=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks")
    assert page.get_by_role("heading", level=1).inner_text() == tr(
        live_server, "fi", "Thank you for your answers"
    )
    assert_accessible(page)
    fits(page)

    from core.db import db
    from surveys.models import SurveyAnswer, SurveyResponse

    with live_server.app.app_context():
        response = db.session.scalars(
            sa.select(SurveyResponse).where(SurveyResponse.survey_id == invitation["survey"])
        ).one()
        assert response.language == "fi" and response.invitation_id is None
        numbers = {a.question_id: a.number for a in db.session.scalars(
            sa.select(SurveyAnswer).where(SurveyAnswer.response_id == response.id))}  # fmt: skip
        assert numbers[q["useful"]] == 4
        assert float(numbers[q["procurements_advanced"]]) == 3.5

    # The link again: answered, no form.
    visit(page, f"/s/{invitation['token']}")
    assert page.locator("form[method=post] button[name=action]").count() == 0
    assert_accessible(page)
    fits(page)
