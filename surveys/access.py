"""Who may manage a survey: the organisers of its event, and admins; a survey that stands
alone (no event) its creator and admins. Everyone else is told it does not exist."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound

from core.db import db
from core.models import Organiser
from events.models import Event, event_organiser
from surveys.models import Survey


def manageable(organiser: Organiser) -> sa.ColumnElement[bool]:
    """The surveys this organiser manages, as a WHERE condition."""
    if organiser.is_admin:
        return sa.true()
    of_my_events = sa.union(
        sa.select(Event.id).where(Event.created_by_id == organiser.id),
        sa.select(event_organiser.c.event_id).where(event_organiser.c.organiser_id == organiser.id),
    )
    return sa.or_(
        Survey.event_id.in_(of_my_events),
        sa.and_(Survey.event_id.is_(None), Survey.created_by_id == organiser.id),
    )


def require_survey(organiser: Organiser, survey_id: int) -> Survey:
    """The survey if this organiser manages it; NotFound otherwise (as if it did not exist),
    also for an id in an address beyond the database's integer."""
    if not 0 < survey_id < 2**31:
        raise NotFound(_l("There is no such survey."))
    survey = db.session.scalar(
        sa.select(Survey).where(Survey.id == survey_id, manageable(organiser))
    )
    if survey is None:
        raise NotFound(_l("There is no such survey."))
    return survey
