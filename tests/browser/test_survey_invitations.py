"""Issue 10's browser test for the invitations: the opt-out page (a confirm page, then the
button) and the organiser's invitation counts with the list of those who have not answered;
axe-core finds nothing and nothing scrolls sideways at 320 px."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def invited(live_server: LiveServer, organiser_account: dict[str, Any]) -> dict[str, Any]:
    """A survey of an event, not anonymous, with two people invited."""
    import sqlalchemy as sa

    from core.db import db
    from events.models import Event
    from participants.models import Registration
    from participants.services import register
    from surveys.invitations import send_due_invitations
    from surveys.models import SurveyInvitation
    from tests.participants.helpers import person
    from tests.surveys.helpers import build_survey

    slug = live_server.create_event(organiser_account["email"], title=unique("Enkätträff"))
    with live_server.app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        for n in range(2):
            register(event, person(unique(f"inv{n}").replace(" ", "")[:20], language="fi"))
        db.session.execute(
            sa.update(Registration)
            .where(Registration.event_id == event.id)
            .values(attended_at=event.starts_at)
        )
        db.session.commit()
        survey = build_survey(event, anonymous=False)
        send_due_invitations(now=survey.send_at)
        tokens = list(
            db.session.scalars(
                sa.select(SurveyInvitation.token).where(SurveyInvitation.survey_id == survey.id)
            )
        )
        return {"survey": survey.id, "tokens": tokens}


def _narrow(page: Any, path: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    page.set_viewport_size({"width": 1280, "height": 900})


def test_opting_out_asks_first_then_stops_the_reminders(
    page: Any, live_server: LiveServer, invited: dict[str, Any]
) -> None:
    path = f"/s/{invited['tokens'][0]}/opt-out"
    visit(page, path, lang="fi")
    assert "Mitä pidit?" in main_text(page)
    assert_accessible(page)
    _narrow(page, path)
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, "fi", "Stop the reminders")).click()
    done = "Done: you will get no more reminders about this survey."
    assert tr(live_server, "fi", done) in main_text(page)
    assert_accessible(page)


def test_the_organisers_invitation_page_is_accessible(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any], invited: dict[str, Any]
) -> None:
    login(page, organiser_account["email"], ORGANISER_PASSWORD)
    path = f"/manage/surveys/{invited['survey']}/invitations"
    for lang in ("sv", "en"):
        visit(page, path, lang=lang)
        assert tr(live_server, lang, "Not answered yet") in main_text(page)
        assert_accessible(page)
        _narrow(page, path)
