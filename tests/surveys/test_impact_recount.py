"""The impact report's fast path (kept stages and adoption counts, folds by bits, GROUPING SETS
on PostgreSQL) against a straightforward count of the same rows, in Python, on a small data
set made to catch a fold that goes wrong: people at several events (in one month and in two),
with different target groups and organisations at each, cancelled and waitlisted
registrations, downloads without attending, named and anonymous answers in groups of
different sizes (some under 5: withheld), and the filters.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db
from events.models import Event
from materials.models import Material, MaterialDownload
from participants.models import Organisation, Registration
from surveys import adoption, indicators
from surveys.impact import ImpactFilters, impact_report
from surveys.models import (
    SurveyAnswer,
    SurveyAnswered,
    SurveyInvitation,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)
from surveys.results import too_few
from tests.surveys.helpers import build_survey
from tests.surveys.test_impact import QUESTIONS, invite, organisation, registration, respond

STARTS = [
    datetime(2027, 3, 3, 8, tzinfo=UTC),
    datetime(2027, 3, 24, 8, tzinfo=UTC),  # the same month as the first
    datetime(2027, 5, 12, 8, tzinfo=UTC),
    datetime(2027, 9, 1, 8, tzinfo=UTC),
]
GROUPS = ("contracting_authority", "supplier", "decision_maker")
STAGES = ("registered", "attended", "downloaded", "invited", "answered", "adopted")


@pytest.fixture
def data(make_event: Any) -> list[Any]:
    rng = random.Random(11)
    events = [
        make_event(title=f"Dag {n}", starts_at=s.isoformat(),
                   ends_at=s.replace(hour=15).isoformat())
        for n, s in enumerate(STARTS)
    ]  # fmt: skip
    orgs = [
        organisation("stockholm", "2120000142", "SE", "municipality"),
        organisation("goteborg", "2120001355", "SE", None),  # 2…: public body
        organisation("saab", "5560360793", "SE", None),
        organisation("helsinki", "0201256-6", "FI", None),
    ]
    material = Material(title="Guide", category="guide", url="https://example.org/guide")
    db.session.add(material)
    db.session.flush()
    registrations = []
    for n in range(24):
        email = f"p{n % 9}@x.se"  # nine people, most at several events
        event = events[n % len(events)]
        if any(r.email == email and r.event_id == event.id for r in registrations):
            continue
        status = rng.choice(["confirmed"] * 6 + ["cancelled", "waitlisted"])
        reg = registration(event, rng.choice(orgs), email, rng.choice(GROUPS), status=status,
                           came=rng.random() < 0.6)  # fmt: skip
        registrations.append(reg)
        if rng.random() < 0.4:  # downloads, also by people who did not come
            db.session.add(MaterialDownload(material_id=material.id, registration_id=reg.id))
    db.session.commit()

    # one survey per event: the first two anonymous, the others named
    surveys = {e.id: build_survey(e, QUESTIONS, anonymous=n < 2) for n, e in enumerate(events)}
    anonymous = surveys[events[0].id]
    for reg in registrations:
        if reg.status == "cancelled" or rng.random() < 0.3:
            continue
        org = db.session.get(Organisation, reg.organisation_id)
        survey = surveys[reg.event_id]
        answered = rng.random() < 0.8
        invitation = invite(survey, reg, answered)
        if answered:
            used = rng.choice(["yes", "yes", "planned", "no"])
            event = db.session.get(Event, reg.event_id)
            kind, country = org.reported_kind, org.country
            if survey.anonymous:
                respond(survey, event, used, 3, None, None, kind, country, reg.target_group)
            else:
                respond(survey, event, used, 3, invitation, org, kind, country, reg.target_group)
    # more anonymous answers in one group, so that some groups reach 5 and are shown
    for used in ("yes", "no", "yes", "no", "yes", "planned"):
        respond(anonymous, events[1], used, 2, group="supplier", kind="company")
    db.session.commit()
    return events


def _month(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def counted(event_ids: set[int]) -> dict[str, Any]:
    """The report's funnels as the counting rules of surveys/impact.py say, from the rows
    themselves (not the kept stages or counts), in Python."""
    events = {e.id: e for e in db.session.scalars(sa.select(Event))}
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
    downloaded = set(db.session.scalars(sa.select(MaterialDownload.registration_id)))
    invited = set(db.session.scalars(sa.select(SurveyInvitation.registration_id)))
    answered = set(
        db.session.scalars(
            sa.select(SurveyInvitation.registration_id).join(
                SurveyAnswered, SurveyAnswered.invitation_id == SurveyInvitation.id
            )
        )
    )
    yes_answers = (
        sa.select(SurveyResponse)
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(SurveyOption, SurveyOption.id == SurveyAnswer.option_id)
        .where(SurveyQuestion.code == indicators.USED)
    )
    adopted = set(
        db.session.scalars(
            sa.select(SurveyInvitation.registration_id).where(
                SurveyInvitation.id.in_(
                    yes_answers.where(SurveyOption.code == indicators.ADOPTED)
                    .with_only_columns(SurveyResponse.invitation_id)
                    .where(SurveyResponse.invitation_id.is_not(None))
                )
            )
        )
    )
    people: dict[tuple[str, Any], dict[Any, set[str]]] = defaultdict(lambda: defaultdict(set))
    for reg in db.session.scalars(sa.select(Registration)):
        if reg.status != "confirmed" or reg.event_id not in event_ids:
            continue
        event, org = events[reg.event_id], orgs[reg.organisation_id]
        reached = {"registered"}
        reached |= {"attended"} if reg.attended_at else set()
        for stage, ids in (("downloaded", downloaded), ("invited", invited),
                           ("answered", answered), ("adopted", adopted)):  # fmt: skip
            if reg.id in ids:
                reached.add(stage)
        values = {
            ("person:", None): reg.email,
            ("organisation:", None): org.id,
            ("target_group", reg.target_group): reg.email,
            ("event", event.slug): reg.email,
            ("kind", org.reported_kind): reg.email,
            ("country", org.country): reg.email,
            ("month", _month(event.starts_at)): reg.email,
        }
        for key, who in values.items():
            people[key][who] |= reached
    funnels = {
        key: {stage: sum(stage in s for s in who.values()) for stage in STAGES}
        for key, who in people.items()
    }
    # the anonymous surveys' responses to the adoption question, counted by response
    anonymous: dict[tuple[str, Any], list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        yes_answers.add_columns(SurveyOption.code)
        .join(SurveyQuestion.survey)
        .where(sa.text("survey.anonymous"))
    ).all()
    for response, code in rows:
        if response.event_id not in event_ids:
            continue
        event = events[response.event_id]
        for key in [("person:", None), ("target_group", response.target_group),
                    ("event", event.slug), ("kind", response.organisation_kind),
                    ("country", response.country), ("month", _month(event.starts_at))]:  # fmt: skip
            anonymous[key][0] += 1
            anonymous[key][1] += code == indicators.ADOPTED
    for key, (n, yes) in anonymous.items():
        funnel = funnels.setdefault(key, dict.fromkeys(STAGES, 0))
        funnel["adopted"] = None if too_few(n) else funnel["adopted"] + yes
    return funnels


def reported(report: Any) -> dict[tuple[str, Any], dict[str, int | None]]:
    found = {("person:", None): report.people.as_dict()}
    if report.organisations.registered:
        found[("organisation:", None)] = report.organisations.as_dict()
    for dimension, rows in report.breakdowns.items():
        for value, funnel in rows:
            found[(dimension, value)] = funnel.as_dict()
    return found


@pytest.mark.parametrize(
    "filters",
    [
        ImpactFilters(),
        ImpactFilters(date_from=date(2027, 3, 10)),
        ImpactFilters(date_to=date(2027, 5, 31)),
        ImpactFilters(date_from=date(2027, 3, 1), date_to=date(2027, 3, 31)),
        "one event",
        "two events",
    ],
)
def test_the_report_equals_a_straightforward_count(data: list[Any], admin: Any,
                                                   filters: Any) -> None:  # fmt: skip
    if filters == "one event":
        filters = ImpactFilters(events=(data[0].id,))
    elif filters == "two events":
        filters = ImpactFilters(events=(data[1].id, data[2].id))
    report = impact_report(admin, filters)
    event_ids = {e[0] for e in report.events}
    expected = counted(event_ids)
    if ("person:", None) not in expected:
        expected[("person:", None)] = dict.fromkeys(STAGES, 0)
    assert reported(report) == expected
    if filters == ImpactFilters():
        # the data is not trivial: people at several events, by months that hold two events,
        # figures withheld and shown
        by_event = report.breakdowns["event"]
        assert report.people.registered < sum(f.registered for _, f in by_event)
        by_month = dict(report.breakdowns["month"])
        assert by_month["2027-03"].registered < sum(f.registered for _, f in by_event[:2])
        funnels = [f for rows in report.breakdowns.values() for _, f in rows]
        assert any(f.suppressed for f in funnels)
        assert any(f.adopted for f in funnels if not f.suppressed)


def test_the_kept_adoption_counts_equal_a_recount(data: list[Any]) -> None:
    assert adoption.recount() == []
    kept = db.session.execute(
        sa.select(sa.func.sum(adoption.SurveyAdoptionTotal.responses))
    ).scalar()
    assert kept > 6  # the anonymous and the named answers are kept as they are written
    adoption.rebuild()
    assert adoption.recount() == []
