"""The periods in force and what is due at a moment: calendar months, the site's defaults
and an event's own, and the boundaries one second either side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from participants.services import register
from privacy.retention import (
    add_months,
    audit_cutoff,
    due_events,
    event_periods,
    needs_kept_until,
    outbox_cutoff,
    personal_kept_until,
    site_periods,
)
from tests.participants.helpers import person

SECOND = timedelta(seconds=1)
END = datetime(2026, 8, 31, 15, 0, tzinfo=UTC)  # an event ending on the last day of August


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 8, 31, 15, 0), 24, datetime(2028, 8, 31, 15, 0)),
        (datetime(2026, 8, 31, 15, 0), 6, datetime(2027, 2, 28, 15, 0)),
        (datetime(2027, 8, 31), 6, datetime(2028, 2, 29)),  # a leap year's February
        (datetime(2028, 2, 29), 24, datetime(2030, 2, 28)),
        (datetime(2026, 1, 31), 1, datetime(2026, 2, 28)),
        (datetime(2026, 12, 15), 1, datetime(2027, 1, 15)),
        (datetime(2026, 11, 30), 3, datetime(2027, 2, 28)),
        (datetime(2029, 8, 31), -36, datetime(2026, 8, 31)),
        (datetime(2027, 3, 31), -1, datetime(2027, 2, 28)),
        (datetime(2027, 1, 10), -13, datetime(2025, 12, 10)),
        (datetime(2026, 5, 5, 23, 59, 59), 0, datetime(2026, 5, 5, 23, 59, 59)),
    ],
)
def test_calendar_months(moment, months, expected):
    assert add_months(moment.replace(tzinfo=UTC), months) == expected.replace(tzinfo=UTC)


def test_the_site_periods_come_from_the_configuration(make_app):
    app = make_app(
        RETENTION_NEEDS_DAYS=3,
        RETENTION_PERSONAL_MONTHS=12,
        RETENTION_OUTBOX_DAYS=30,
        RETENTION_AUDIT_MONTHS=60,
    )
    with app.app_context():
        periods = site_periods()
        assert (periods.needs_days, periods.personal_months) == (3, 12)
        assert (periods.outbox_days, periods.audit_months) == (30, 60)
        now = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
        assert outbox_cutoff(now) == now - timedelta(days=30)
        assert audit_cutoff(now) == datetime(2022, 3, 31, 12, 0, tzinfo=UTC)


def test_an_event_keeps_the_defaults_unless_an_admin_set_its_own(app, make_event):
    event = make_event()
    event.ends_at = END
    periods = event_periods(event)
    assert (periods.needs_days, periods.personal_months) == (1, 24)
    assert not periods.needs_own and not periods.personal_own
    assert needs_kept_until(event) == END + timedelta(days=1)
    assert personal_kept_until(event) == datetime(2028, 8, 31, 15, 0, tzinfo=UTC)

    event.needs_kept_days, event.personal_data_kept_months = 0, 6
    periods = event_periods(event)
    assert (periods.needs_days, periods.personal_months) == (0, 6)
    assert periods.needs_own and periods.personal_own
    assert needs_kept_until(event) == END
    assert personal_kept_until(event) == datetime(2027, 2, 28, 15, 0, tzinfo=UTC)


def _ended(make_event, end: datetime, n: int = 1, **own):
    event = make_event(title=f"Avslutat {n}")
    register(event, person(n, needs="Glutenfritt"))
    event.starts_at, event.ends_at = end - timedelta(hours=3), end
    for name, value in own.items():
        setattr(event, name, value)
    db.session.commit()
    return event


def _due(now):
    return {(d.event.id, d.needs, d.personal) for d in due_events(now)}


def test_needs_are_due_a_second_after_their_day(app, make_event):
    event = _ended(make_event, END)
    kept = END + timedelta(days=1)
    assert _due(END - SECOND) == set()
    assert _due(kept - SECOND) == set()
    assert _due(kept) == set()  # kept for the whole day, to its last instant
    assert _due(kept + SECOND) == {(event.id, True, False)}


def test_personal_data_is_due_a_second_after_its_months(app, make_event):
    event = _ended(make_event, END)
    kept = datetime(2028, 8, 31, 15, 0, tzinfo=UTC)
    assert _due(kept - SECOND) == {(event.id, True, False)}
    assert _due(kept + SECOND) == {(event.id, True, True)}


def test_an_events_own_periods_are_used(app, make_event):
    short = _ended(make_event, END, 1, needs_kept_days=0, personal_data_kept_months=6)
    long = _ended(make_event, END, 2, needs_kept_days=30, personal_data_kept_months=48)
    assert _due(END + SECOND) == {(short.id, True, False)}
    assert _due(END + timedelta(days=30) + SECOND) == {
        (short.id, True, False),
        (long.id, True, False),
    }
    feb = datetime(2027, 2, 28, 15, 0, tzinfo=UTC)  # six months after 31 August
    assert (short.id, True, True) in _due(feb + SECOND)
    assert (short.id, True, True) not in _due(feb - SECOND)
    assert (long.id, True, False) in _due(datetime(2028, 9, 1, tzinfo=UTC))
    assert (long.id, True, True) in _due(datetime(2030, 8, 31, 15, 0, 1, tzinfo=UTC))


def test_an_event_not_yet_ended_is_never_due(app, make_event):
    make_event()
    far = datetime(2100, 1, 1, tzinfo=UTC)
    assert [d for d in due_events(far) if d.event.ends_at > far] == []
    upcoming = make_event(title="Kommande")
    assert upcoming.id not in {d.event.id for d in due_events(upcoming.starts_at)}
