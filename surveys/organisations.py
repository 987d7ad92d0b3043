"""Surveys' part of merging two records of one organisation (participants.organisations):
the named responses of the loser move to the survivor in the merge's transaction. What a
response copied at the time (kind, country) stays as it was answered."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.db import db
from participants.organisations import organisations_merged
from surveys.models import SurveyResponse


@organisations_merged.connect
def _move_responses(loser_id: int, *, survivor_id: int, **_extra: Any) -> None:
    db.session.execute(
        sa.update(SurveyResponse)
        .where(SurveyResponse.organisation_id == loser_id)
        .values(organisation_id=survivor_id)
    )
