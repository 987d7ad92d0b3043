"""The organisers' dashboard (/manage/): how each of their events fills.

For the events on it (every upcoming one, nearest first, then the latest past ones): the
registrations by status, the fill of the event, of each target group's quota and of each
session (the kept counters `confirmed_count`, exact and free to read), the waiting list,
after the event the attendance and the no-shows, and two charts: registrations over time
(cumulative, per day in the event's zone) and by target group.

Three statements whatever the number of events (the events themselves come loaded with their
target groups from events.queries.organiser_events): the sessions, the counts per event,
target group and status, and the registrations per event and hour (an hour maps to one day
in every zone we support, so the days are made in Python, in the event's zone, the same on
SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import gettext as _

from core.charts import Chart, Series
from core.db import db, utcnow
from core.i18n import current_language
from events.labels import TARGET_GROUP_LABELS
from events.models import Event, Session
from participants.models import Registration

PAST_EVENTS_SHOWN = 5  # the latest past events on the dashboard; the list below has them all
STATUSES = ("confirmed", "waitlisted", "cancelled")
_DAY_MONTH = {"sv": "d MMM", "en": "d MMM", "fi": "d.M."}


@dataclass(frozen=True)
class Fill:
    """Confirmed seats of a limit (the event's capacity, a quota, a session's capacity)."""

    label: str
    confirmed: int
    limit: int | None  # None: no limit

    @property
    def percent(self) -> int | None:
        if not self.limit:
            return None
        return round(100 * self.confirmed / self.limit)

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.confirmed, 0)


@dataclass
class EventBoard:
    event: Event
    ended: bool
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    by_group: dict[str, dict[str, int]] = field(default_factory=dict)  # code -> status -> n
    attended: int = 0
    per_day: dict[date, int] = field(default_factory=dict)  # new registrations per local day
    sessions: list[Session] = field(default_factory=list)

    @property
    def fill(self) -> Fill:
        return Fill(self.event.title, self.event.confirmed_count, self.event.capacity)

    @property
    def quotas(self) -> list[Fill]:
        return [
            Fill(str(TARGET_GROUP_LABELS.get(tg.code, tg.code)), tg.confirmed_count, tg.quota)
            for tg in _sorted_groups(self.event)
        ]

    @property
    def session_fills(self) -> list[tuple[Session, Fill]]:
        return [(s, Fill(s.title, s.confirmed_count, s.capacity)) for s in self.sessions]

    @property
    def waitlisted(self) -> int:
        return self.statuses["waitlisted"]

    @property
    def no_shows(self) -> int | None:
        """Confirmed people who were not checked in; known once the event has ended."""
        return max(self.statuses["confirmed"] - self.attended, 0) if self.ended else None

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def cumulative(self) -> list[tuple[date, int]]:
        """Registrations received up to and including each day, from the first one to the
        last day with one (or today, before the event ends), with no day left out."""
        if not self.per_day:
            return []
        first = min(self.per_day)
        zone = ZoneInfo(self.event.timezone)
        last_day = min(utcnow(), self.event.ends_at).astimezone(zone).date()
        last = max(max(self.per_day), last_day)
        days, total = [], 0
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            total += self.per_day.get(day, 0)
            days.append((day, total))
        return days

    def over_time_chart(self) -> Chart:
        days = self.cumulative()
        total = days[-1][1] if days else 0
        return Chart(
            id=f"chart-over-time-{self.event.id}",
            title=_("Registrations over time: %(title)s", title=self.event.title),
            description=_(
                "Registrations received, added up day by day: %(num)s in all over %(days)s days.",
                num=total,
                days=len(days),
            ),
            kind="line",
            labels=[_day_label(d) for d, _n in days],
            series=[Series(_("Registrations so far"), [n for _d, n in days])],
            label_heading=_("Day"),
        )

    def groups_chart(self) -> Chart:
        codes = [tg.code for tg in _sorted_groups(self.event)]
        codes += sorted(c for c in self.by_group if c not in codes)
        labels = [str(TARGET_GROUP_LABELS.get(c, c)) for c in codes]
        confirmed = [self.by_group.get(c, {}).get("confirmed", 0) for c in codes]
        waiting = [self.by_group.get(c, {}).get("waitlisted", 0) for c in codes]
        return Chart(
            id=f"chart-groups-{self.event.id}",
            title=_("Registrations by target group: %(title)s", title=self.event.title),
            description=_(
                "Confirmed and waitlisted registrations of each target group; cancelled ones "
                "are not counted."
            ),
            kind="hbar",
            labels=labels,
            series=[Series(_("Confirmed"), confirmed), Series(_("Waiting list"), waiting)],
            label_heading=_("Target group"),
        )


def _day_label(day: date) -> str:
    """ "25 nov." / "25 Nov" / "25.11.": the day and month (the year is plain from the event)."""
    lang = current_language()
    return format_date(day, _DAY_MONTH.get(lang, "d MMM"), locale=lang)


def _sorted_groups(event: Event) -> list:
    """The event's target groups by their name in the page's language, "Others" last."""
    return sorted(
        event.target_groups,
        key=lambda tg: (tg.code == "other", str(TARGET_GROUP_LABELS.get(tg.code, "")).casefold()),
    )


def dashboard_events(events: Sequence[Event], now: datetime | None = None) -> list[Event]:
    """Which of an organiser's events (events.queries.organiser_events: upcoming nearest
    first, then past latest first) the dashboard shows: not drafts; every upcoming one and the
    latest PAST_EVENTS_SHOWN past ones."""
    now = now or utcnow()
    shown = [e for e in events if e.status != "draft"]
    upcoming = [e for e in shown if e.ends_at >= now]
    past = [e for e in shown if e.ends_at < now]
    return upcoming + past[:PAST_EVENTS_SHOWN]


def _hour_bucket() -> sa.ColumnElement[str]:
    """The registration's hour in UTC as text, 'YYYY-MM-DD HH', on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", Registration.created_at), "YYYY-MM-DD HH24")
    return sa.func.strftime("%Y-%m-%d %H", Registration.created_at)


def event_boards(events: Sequence[Event], now: datetime | None = None) -> list[EventBoard]:
    """The dashboard of these events, in their order, in three statements."""
    now = now or utcnow()
    boards = {e.id: EventBoard(event=e, ended=e.ends_at < now) for e in events}
    if not boards:
        return []
    ids = list(boards)
    for session in db.session.scalars(
        sa.select(Session)
        .where(Session.event_id.in_(ids))
        .order_by(Session.event_id, Session.starts_at, Session.id)
    ):
        boards[session.event_id].sessions.append(session)
    rows = db.session.execute(
        sa.select(
            Registration.event_id,
            Registration.target_group,
            Registration.status,
            sa.func.count(),
            sa.func.count(Registration.attended_at),
        )
        .where(Registration.event_id.in_(ids))
        .group_by(Registration.event_id, Registration.target_group, Registration.status)
    )
    for event_id, group, status, count, attended in rows:
        board = boards[event_id]
        board.statuses[status] = board.statuses.get(status, 0) + count
        board.by_group.setdefault(group, dict.fromkeys(STATUSES, 0))[status] = count
        if status == "confirmed":
            board.attended += attended
    hour = _hour_bucket()
    for event_id, bucket, count in db.session.execute(
        sa.select(Registration.event_id, hour, sa.func.count())
        .where(Registration.event_id.in_(ids))
        .group_by(Registration.event_id, hour)
    ):
        board = boards[event_id]
        moment = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
        day = moment.astimezone(ZoneInfo(board.event.timezone)).date()
        board.per_day[day] = board.per_day.get(day, 0) + count
    return list(boards.values())


def dashboard(events: Sequence[Event]) -> list[EventBoard]:
    """The boards of the events the dashboard shows (dashboard_events)."""
    return event_boards(dashboard_events(events))
