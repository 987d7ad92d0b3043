"""The demo (flask demo-data) carries surveys that were sent and partly answered through the
same services people use, so a new organiser sees results and an impact report."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from surveys.models import Survey, SurveyResponse


def test_the_demo_has_answered_surveys_and_an_impact_report(app, client):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    templates = set(db.session.scalars(sa.select(Survey.template)))
    assert templates == {"feedback", "adoption_followup"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) >= 5
    client.post("/login", data={"email": "admin@example.org", "password": "motesplats-demo"})
    body = client.get("/manage/impact?lang=en").get_data(as_text=True)
    assert "Impact report" in body
    survey_id = db.session.scalar(sa.select(Survey.id).where(Survey.template == "feedback"))
    page = client.get(f"/manage/surveys/{survey_id}/results?lang=en")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
