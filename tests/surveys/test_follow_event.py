"""A survey sent some days after its event's end moves with the event when the event's time
changes (events.services' event_rescheduled), until its invitations have gone out."""

from __future__ import annotations

from datetime import timedelta

from core.db import db
from events.models import Event
from events.services import update_event
from surveys import services
from surveys.models import Survey, SurveyInvitation
from tests.surveys.helpers import build_survey


def test_a_survey_not_yet_sent_moves_with_its_event(organiser, make_event):
    event = make_event()
    ends = event.ends_at

    def relative(days: int, **fields) -> Survey:
        return build_survey(
            event,
            send_after_days=days,
            send_at=ends + timedelta(days=days),
            closes_at=ends + timedelta(days=days + 30),
            **fields,
        )

    next_day, later = relative(1), relative(90)
    sent = relative(1)
    db.session.add(SurveyInvitation(survey_id=sent.id, email="p@example.se"))
    fixed = build_survey(event, send_after_days=None, send_at=ends + timedelta(days=3))
    closed = relative(1, status="closed")
    db.session.commit()
    moved = timedelta(days=7, hours=2)
    update_event(
        organiser,
        db.session.get(Event, event.id),
        {"starts_at": (event.starts_at + moved).isoformat(), "ends_at": (ends + moved).isoformat()},
    )
    db.session.expire_all()
    new_end = db.session.get(Event, event.id).ends_at
    assert new_end == ends + moved
    assert next_day.send_at == new_end + timedelta(days=1)
    assert next_day.closes_at == new_end + timedelta(days=31)  # open as long as before
    assert later.send_at == new_end + timedelta(days=90)
    # Already sent, given a moment of its own, or closed: they stay.
    assert sent.send_at == ends + timedelta(days=1)
    assert fixed.send_at == ends + timedelta(days=3)
    assert closed.send_at == ends + timedelta(days=1)


def test_a_send_time_set_by_hand_no_longer_follows_the_event(organiser, make_event):
    event = make_event()
    survey = services.create_survey(organiser, {"template": "feedback", "event": event.slug})
    assert survey.send_after_days == 1
    moment = event.ends_at + timedelta(days=5)
    services.update_survey(organiser, survey, {"send_at": moment.isoformat()})
    assert survey.send_after_days is None and survey.send_at == moment
    update_event(
        organiser,
        db.session.get(Event, event.id),
        {"ends_at": (event.ends_at + timedelta(hours=1)).isoformat()},
    )
    db.session.expire_all()
    assert survey.send_at == moment
    services.update_survey(
        organiser,
        survey,
        {"send_after_days": "2", "closes_at": (moment + timedelta(days=40)).isoformat()},
    )
    db.session.expire_all()
    assert survey.send_after_days == 2
    assert survey.send_at == db.session.get(Event, event.id).ends_at + timedelta(days=2)
