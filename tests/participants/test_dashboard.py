"""The organisers' dashboard at /manage/: the numbers of a seeded event, the charts (SVG well
formed, named, the table equal to the chart's data) and a bounded number of statements."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.charts import PALETTE, stylesheet
from core.db import db, utcnow
from events.queries import organiser_events
from participants import dashboard, services
from participants.models import Registration
from tests.participants.helpers import as_stored, person, sessions_for
from tests.statements import count_statements

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def english(app):
    """The labels in English, as on /manage/?lang=en."""
    with app.test_request_context("/?lang=en"):
        yield


def seeded(make_event, **kw):
    """20 places; suppliers at most 2; a session of 1 place. 3 suppliers register (one
    waitlisted by the quota), 2 authorities (one cancels), and one of them takes the session."""
    from datetime import datetime

    from tests.conftest import event_data

    start = datetime.fromisoformat(event_data(**kw)["starts_at"])
    groups = [{"code": "contracting_authority"}, {"code": "supplier", "quota": 2}]
    event = make_event(
        capacity=20, target_groups=groups, sessions=sessions_for(start, 1, None), **kw
    )
    small = event.sessions[0]
    made = [
        services.register(event, person(1, target_group="supplier", sessions=[small.id])),
        services.register(event, person(2, target_group="supplier")),
        services.register(event, person(3, target_group="supplier")),  # quota 2: waitlisted
        services.register(event, person(4)),
        services.register(event, person(5)),
    ]
    services.cancel(made[4])
    return event, made


def board_of(organiser, event):
    (board,) = [b for b in dashboard.dashboard(organiser_events(organiser)) if b.event == event]
    return board


def test_the_numbers_of_an_upcoming_event(make_event, organiser):
    event, _made = seeded(make_event)

    board = board_of(organiser, event)

    assert board.statuses == {"confirmed": 3, "waitlisted": 1, "cancelled": 1}
    assert (board.fill.confirmed, board.fill.limit, board.fill.percent) == (3, 20, 15)
    quotas = {f.label: (f.confirmed, f.limit) for f in board.quotas}
    assert quotas == {"Contracting authorities": (1, None), "Suppliers": (2, 2)}
    sessions = [(s.title, f.confirmed, f.limit) for s, f in board.session_fills]
    assert sessions == [("Pass 1", 1, 1), ("Pass 2", 0, None)]
    assert board.waitlisted == 1
    assert board.no_shows is None  # not before the event has ended
    assert board.cumulative()[-1][1] == 5  # every registration received, cancelled ones too


def test_after_the_event_attendance_and_no_shows(make_event, organiser):
    event, made = seeded(make_event)
    services.check_in(as_stored(made[0]))
    services.check_in(as_stored(made[3]))
    db.session.execute(
        sa.update(type(event))
        .where(type(event).id == event.id)
        .values(starts_at=utcnow() - timedelta(days=2), ends_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()

    board = board_of(organiser, event)

    assert board.ended
    assert (board.attended, board.no_shows) == (2, 1)


def test_registrations_over_time_are_counted_per_day_in_the_events_zone(make_event, organiser):
    event, made = seeded(make_event, timezone="Europe/Helsinki")
    # 22.30 UTC is 0.30 the next day in Helsinki: that registration counts on the later day.
    first = utcnow().replace(hour=22, minute=30, second=0, microsecond=0) - timedelta(days=3)
    next_day = first + timedelta(days=1)
    moments = [first, first, first + timedelta(hours=1), next_day, next_day + timedelta(hours=2)]
    for registration, moment in zip(made, moments, strict=True):
        db.session.execute(
            sa.update(Registration)
            .where(Registration.id == registration.id)
            .values(created_at=moment)
        )
    db.session.commit()

    days = board_of(organiser, event).cumulative()

    # 0.30, 0.30 and 1.30 on the day after the UTC date, then two more the next day; and
    # every day up to today is there, with nothing new.
    assert days[0] == (first.date() + timedelta(days=1), 3)
    assert days[1] == (first.date() + timedelta(days=2), 5)
    assert [n for _day, n in days[2:]] == [5] * (len(days) - 2)


def test_the_dashboard_page_shows_them_with_charts_and_tables(client, make_event, login):
    event, _made = seeded(make_event)
    login()

    page = client.get("/manage/?lang=en").get_data(as_text=True)

    assert "3 of 20 (15 %)" in page
    assert "2 of 2 (100 %)" in page  # the suppliers' quota is full
    svgs = re.findall(r"<svg[^>]*class=\"mp-chart\".*?</svg>", page, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        root = ET.fromstring(svg)  # well formed
        assert root.get("role") == "img"
        title = root.find(f"{SVG}title")
        assert title is not None and title.text and title.get("id") == root.get("aria-labelledby")
        assert root.find(f"{SVG}desc").get("id") == root.get("aria-describedby")
        assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert 'href="/static/css/charts.css"' in page


def test_the_table_holds_the_charts_data(make_event, organiser, app):
    event, _made = seeded(make_event)
    board = board_of(organiser, event)
    chart = board.groups_chart()

    with app.test_request_context("/?lang=en"):
        html = app.jinja_env.from_string(
            '{% from "_chart.html" import chart %}{{ chart(c) }}'
        ).render(c=chart)

    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", html, re.S)[1:]
    table = [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
        ]
        for r in rows
    ]
    assert table == [
        ["Contracting authorities", "1", "0"],
        ["Suppliers", "2", "1"],
    ]
    assert [s.values for s in chart.series] == [[1, 2], [0, 1]]
    # The SVG prints the same values on its bars.
    values = re.findall(r'class="value[^"]*"[^>]*>([^<]+)<', str(html))
    assert sorted(values) == ["1", "1", "2"]  # zeroes are not printed


def test_the_statements_do_not_grow_with_the_events(make_event, organiser):
    seeded(make_event, title="Ett")
    events = organiser_events(organiser)
    with count_statements() as one:
        dashboard.dashboard(events)
    for n in range(4):
        seeded(make_event, title=f"Fler {n}")
    events = organiser_events(organiser)
    db.session.expire_all()
    events = organiser_events(organiser)
    with count_statements() as five:
        boards = dashboard.dashboard(events)

    assert len(boards) == 5
    assert len(one) == len(five) == 3


def test_the_palette_passes_contrast_and_the_stylesheet_is_current():
    def luminance(hex_color: str) -> float:
        channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for color in PALETTE:
        assert (1.05) / (luminance(color) + 0.05) >= 3, color  # against white
    from core.charts import STYLESHEET

    assert STYLESHEET.read_text(encoding="utf-8") == stylesheet(), (
        "static/css/charts.css is out of date: python -m core.charts > static/css/charts.css"
    )


def test_the_demo_data_gives_the_dashboard_something_to_show(app, admin):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output

    boards = dashboard.dashboard(organiser_events(admin))

    past = [b for b in boards if b.ended]
    assert len(past) == 2
    assert all(b.attended > 0 and b.no_shows > 0 for b in past)
    upcoming = [b for b in boards if not b.ended]
    assert all(len(b.per_day) >= 3 for b in upcoming)  # registrations over several days
    assert any(b.waitlisted for b in upcoming)  # a full quota with a waiting list
    assert any(b.statuses["cancelled"] for b in boards)
    assert app.test_cli_runner().invoke(args=["seats", "check"]).exit_code == 0
