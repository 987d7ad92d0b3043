"""The retention purge: a dry run counts and changes nothing, a real run takes what is past its
period (one second before: nothing; one second after: all of it) and a second run finds
nothing; the CLI prints per event and kind; the worker runs it once a day, also with two."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core.db import db
from core.models import AuditEntry, OutboxMessage, SiteSetting
from core.worker import DUE_WORK
from outreach.models import Campaign, CampaignRecipient
from participants.models import Registration
from participants.services import register
from privacy.purge import LAST_RUN_KEY, claim_daily_run, purge, run_daily_purge
from surveys.models import SurveyInvitation, SurveyResponse
from tests.participants.helpers import as_stored, person
from tests.privacy.helpers import traces
from tests.surveys.helpers import build_survey

SECOND = timedelta(seconds=1)
END = datetime(2026, 8, 31, 15, 0, tzinfo=UTC)
NEEDS_DUE = END + timedelta(days=1)  # kept to this instant, gone a second later
PERSONAL_DUE = datetime(2028, 8, 31, 15, 0, tzinfo=UTC)  # 24 calendar months


def _ended_event(make_event, end=END, title="Krav i praktiken", people=(1, 2), **own):
    """An event that ended at end, with registrations (needs on each), a non-anonymous survey
    answered by the first, and a campaign of its own to an address from elsewhere."""
    event = make_event(title=title)
    regs = [
        as_stored(register(event, person(f"{title[:3]}{n}", needs=f"Behov {n}"))) for n in people
    ]
    survey = build_survey(event, anonymous=False)
    invitation = SurveyInvitation(survey=survey, registration_id=regs[0].id, email=regs[0].email)
    db.session.add(invitation)
    db.session.flush()
    db.session.add(
        SurveyResponse(
            survey_id=survey.id, invitation_id=invitation.id,
            organisation_id=regs[0].organisation_id, event_id=event.id,
            target_group=regs[0].target_group, organisation_kind="municipality",
            country="SE", language="sv", submitted_on=END.date(),
        )
    )  # fmt: skip
    campaign = Campaign(event_id=event.id)
    db.session.add(campaign)
    db.session.flush()
    db.session.add(
        CampaignRecipient(
            campaign_id=campaign.id, email=f"inbjuden-{event.id}@goteborg.se",
            token=f"c{event.id}" * 8, language="sv", target_group="supplier",
        )
    )  # fmt: skip
    regs[0].attended_at = end - timedelta(hours=2)
    event.starts_at, event.ends_at = end - timedelta(hours=3), end
    for name, value in own.items():
        setattr(event, name, value)
    db.session.commit()
    return event


def _registrations(event):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()


def _sent_email(at: datetime, status="sent", **fields) -> OutboxMessage:
    message = OutboxMessage(
        recipient="maja@stockholm.se", kind="confirmed", language="sv", subject="Bekräftelse",
        body_text="Hej Maja", body_html="<p>Hej Maja</p>", facts={"name": "Maja"},
        attachments=[{"filename": "a.ics", "content_type": "text/calendar", "data": "x"}],
        status=status, sent_at=at if status == "sent" else None, created_at=at, **fields,
    )  # fmt: skip
    db.session.add(message)
    db.session.commit()
    return message


def _audit(at: datetime) -> None:
    db.session.add(AuditEntry(at=at, action="registrations_viewed", subject="event:1"))
    db.session.commit()


def _snapshot():
    db.session.expire_all()
    rows = {}
    for model in (Registration, SurveyInvitation, SurveyResponse, CampaignRecipient, OutboxMessage):
        rows[model.__name__] = [
            tuple(getattr(r, c.key) for c in sa.inspect(model).column_attrs)
            for r in db.session.scalars(sa.select(model).order_by(model.id))
        ]
    rows["audit"] = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    return rows


# --- needs ------------------------------------------------------------------------------------


def test_needs_go_a_second_after_their_day_and_nothing_before(app, make_event):
    event = _ended_event(make_event)
    before = purge(NEEDS_DUE, dry_run=False)
    assert before.events == [] and before.total == 0
    assert [r.needs for r in _registrations(event)] == ["Behov 1", "Behov 2"]

    dry = purge(NEEDS_DUE + SECOND, dry_run=True)
    assert [(e.slug, e.needs, e.registrations) for e in dry.events] == [(event.slug, 2, 0)]
    assert [r.needs for r in _registrations(event)] == ["Behov 1", "Behov 2"]

    done = purge(NEEDS_DUE + SECOND)
    assert [(e.slug, e.needs, e.registrations) for e in done.events] == [(event.slug, 2, 0)]
    regs = _registrations(event)
    assert [r.needs for r in regs] == ["", ""]
    assert all(r.name and r.anonymised_at is None for r in regs)  # the rest is kept
    assert purge(NEEDS_DUE + SECOND).total == 0  # a second run finds nothing


# --- personal data ----------------------------------------------------------------------------


def test_personal_data_goes_after_24_calendar_months(app, make_event):
    event = _ended_event(make_event)
    other = _ended_event(make_event, end=END + timedelta(days=1), title="Nästa dag", people=(3,))
    purge(NEEDS_DUE + timedelta(days=2))  # the needs went long ago
    names = [r.name for r in _registrations(event)]

    assert purge(PERSONAL_DUE).total == 0
    assert [r.name for r in _registrations(event)] == names

    snapshot = _snapshot()
    dry = purge(PERSONAL_DUE + SECOND, dry_run=True)
    assert _snapshot() == snapshot  # a dry run changes nothing
    assert [
        (e.slug, e.needs, e.registrations, e.survey_invitations, e.campaign_invitations)
        for e in dry.events
    ] == [(event.slug, 0, 2, 1, 1)]

    done = purge(PERSONAL_DUE + SECOND)
    assert [
        (e.slug, e.needs, e.registrations, e.survey_invitations, e.campaign_invitations)
        for e in done.events
    ] == [(event.slug, 0, 2, 1, 1)]
    regs = _registrations(event)
    assert all(r.anonymised_at == PERSONAL_DUE + SECOND for r in regs)
    assert regs[0].attended_at is not None  # attendance stays for the audit
    assert traces(*names, f"inbjuden-{event.id}@goteborg.se") == []
    response = db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.event_id == event.id)
    ).one()
    assert response.invitation_id is None and response.country == "SE"
    # The event a day later keeps its people until its own day has passed.
    assert all(r.anonymised_at is None for r in _registrations(other))
    assert purge(PERSONAL_DUE + SECOND).total == 0
    later = purge(PERSONAL_DUE + timedelta(days=1) + SECOND)
    assert [(e.slug, e.registrations) for e in later.events] == [(other.slug, 1)]


def test_an_events_own_periods(app, make_event):
    short = _ended_event(make_event, title="Kort", needs_kept_days=0, personal_data_kept_months=6)
    default = _ended_event(make_event, title="Vanlig", people=(5,))
    assert purge(END).total == 0
    assert [(e.slug, e.needs) for e in purge(END + SECOND).events] == [(short.slug, 2)]
    feb = datetime(2027, 2, 28, 15, 0, tzinfo=UTC)  # six months after 31 August
    at_feb = purge(feb)  # the default event's needs, a day after; nobody anonymised yet
    assert [(e.slug, e.needs, e.registrations) for e in at_feb.events] == [(default.slug, 1, 0)]
    assert [(e.slug, e.registrations) for e in purge(feb + SECOND).events] == [(short.slug, 2)]
    assert all(r.anonymised_at is None for r in _registrations(default))
    assert default.slug not in {e.slug for e in purge(PERSONAL_DUE).events if e.registrations}


def test_a_first_purge_after_years_does_everything_at_once_and_counts_match(app, make_event):
    events = [_ended_event(make_event, title=f"Evenemang {n}", people=(n * 10, n * 10 + 1))
              for n in range(1, 4)]  # fmt: skip
    now = datetime(2030, 1, 1, tzinfo=UTC)
    dry = purge(now, dry_run=True)
    done = purge(now)
    rows = [(e.slug, e.needs, e.registrations, e.survey_invitations, e.campaign_invitations)
            for e in dry.events]  # fmt: skip
    assert rows == [(e.slug, 2, 2, 1, 1) for e in events]
    assert rows == [
        (e.slug, e.needs, e.registrations, e.survey_invitations, e.campaign_invitations)
        for e in done.events
    ]
    assert purge(now).total == 0 and purge(now, dry_run=True).total == 0


def test_the_purge_works_in_chunks(app, make_event, monkeypatch):
    import privacy.purge

    monkeypatch.setattr(privacy.purge, "CHUNK", 2)
    event = _ended_event(make_event, people=(1, 2, 3, 4, 5))
    report = purge(datetime(2030, 1, 1, tzinfo=UTC))
    assert [(e.needs, e.registrations) for e in report.events] == [(5, 5)]
    assert all(r.anonymised_at and not r.needs for r in _registrations(event))


# --- outbox and audit log ---------------------------------------------------------------------


def test_outbox_texts_go_90_days_after_sending(app):
    sent = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    message = _sent_email(sent)
    failed = _sent_email(sent, status="failed", failure_reason="rejected")
    due = sent + timedelta(days=90)
    assert purge(due).outbox_messages == 0
    assert purge(due + SECOND, dry_run=True).outbox_messages == 2
    assert db.session.get(OutboxMessage, message.id).body_text == "Hej Maja"
    assert purge(due + SECOND).outbox_messages == 2
    db.session.expire_all()
    for row in (
        db.session.get(OutboxMessage, message.id),
        db.session.get(OutboxMessage, failed.id),
    ):
        assert (row.recipient, row.body_text, row.body_html, row.facts, row.attachments) == (
            "", None, None, None, []
        )  # fmt: skip
        assert (row.kind, row.subject, row.created_at) == ("confirmed", "Bekräftelse", sent)
    assert db.session.get(OutboxMessage, message.id).status == "sent"
    assert db.session.get(OutboxMessage, message.id).sent_at == sent
    assert purge(due + SECOND).outbox_messages == 0


def test_an_unsent_email_keeps_its_text(app):
    queued = _sent_email(datetime(2026, 1, 1, tzinfo=UTC), status="queued")
    assert purge(datetime(2030, 1, 1, tzinfo=UTC)).outbox_messages == 0
    assert db.session.get(OutboxMessage, queued.id).body_text == "Hej Maja"


def test_audit_entries_go_after_36_months(app):
    _audit(datetime(2026, 8, 31, 15, 0, tzinfo=UTC))
    _audit(datetime(2026, 9, 1, tzinfo=UTC))
    due = datetime(2029, 8, 31, 15, 0, tzinfo=UTC)  # 36 months after the first
    assert purge(due).audit_entries == 0
    assert purge(due + SECOND, dry_run=True).audit_entries == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2
    assert purge(due + SECOND).audit_entries == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
    assert purge(due + SECOND).audit_entries == 0


# --- the command ------------------------------------------------------------------------------


def test_the_command_says_per_event_and_kind_what_would_go_and_went(app, make_event):
    event = _ended_event(make_event, end=datetime(2020, 1, 10, 12, 0, tzinfo=UTC))
    _sent_email(datetime(2020, 1, 1, tzinfo=UTC))
    _audit(datetime(2016, 1, 1, tzinfo=UTC))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output and "nothing was changed" in dry.output
    line = next(line for line in dry.output.splitlines() if event.slug in line)
    assert "needs of 2 registrations" in line and "2 registrations anonymised" in line
    assert "1 survey invitations" in line and "1 campaign invitations" in line
    assert "of 1 emails" in dry.output and "Audit log: 1 entries" in dry.output
    assert all(r.anonymised_at is None for r in _registrations(event))

    done = runner.invoke(args=["privacy", "purge"])
    assert done.exit_code == 0 and "This went:" in done.output
    assert next(line for line in done.output.splitlines() if event.slug in line) == line
    assert all(r.anonymised_at is not None for r in _registrations(event))
    again = runner.invoke(args=["privacy", "purge"])
    assert "Nothing: no data is past its retention period." in again.output
    assert "erase-needs" not in runner.invoke(args=["--help"]).output


# --- once a day, from the worker --------------------------------------------------------------


def _last_run():
    db.session.expire_all()
    setting = db.session.get(SiteSetting, LAST_RUN_KEY)
    return setting.value if setting is not None else None


def test_the_worker_runs_the_purge_once_a_day(app, make_event):
    assert run_daily_purge in DUE_WORK
    event = _ended_event(make_event)
    day = NEEDS_DUE + SECOND
    first = run_daily_purge(day)
    assert first is not None and [e.needs for e in first.events] == [2]
    assert _last_run() == day.isoformat()
    register_late = as_stored(register(make_event(title="Sen"), person(99, needs="Nötallergi")))
    late = db.session.get(Registration, register_late.id)
    late.event.starts_at, late.event.ends_at = END - timedelta(hours=3), END
    db.session.commit()
    assert run_daily_purge(day + timedelta(hours=23, minutes=59, seconds=59)) is None
    assert db.session.get(Registration, register_late.id).needs == "Nötallergi"
    again = run_daily_purge(day + timedelta(hours=24))
    assert again is not None and [e.needs for e in again.events] == [1]
    assert _last_run() == (day + timedelta(hours=24)).isoformat()
    assert event.id  # the first event was done the first day


def test_two_workers_claim_the_day_once(app, make_app):
    other = make_app()  # a second process's app on the same database
    now = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    assert claim_daily_run(now)
    with other.app_context():
        assert not claim_daily_run(now)
        assert not claim_daily_run(now + timedelta(hours=1))
    assert not claim_daily_run(now + timedelta(hours=2))
    tomorrow = now + timedelta(days=1)
    with other.app_context():
        assert claim_daily_run(tomorrow)
    assert not claim_daily_run(tomorrow)


def test_a_stale_claim_does_not_let_a_second_worker_run_the_same_day(app, make_app, monkeypatch):
    """Both workers read "not yet run today" before either claims: the claim is decided again
    under the write lock, so only the first gets it."""
    import privacy.purge

    now = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    db.session.add(SiteSetting(key=LAST_RUN_KEY, value=(now - timedelta(days=2)).isoformat()))
    db.session.commit()
    real_parse = privacy.purge._parse
    reads = []

    def stale_first_read(value):
        reads.append(value)
        # The second worker's quick read sees the value from before the first one's claim.
        if len(reads) == 3:
            return real_parse((now - timedelta(days=2)).isoformat())
        return real_parse(value)

    monkeypatch.setattr(privacy.purge, "_parse", stale_first_read)
    assert claim_daily_run(now)  # reads 1 (quick) and 2 (under the lock)
    other = make_app()
    with other.app_context():
        assert not claim_daily_run(now)  # read 3 stale, read 4 under the lock sees the claim
    assert len(reads) == 4


def test_two_workers_at_the_same_moment_one_runs(app, make_app):
    """Two threads, each with an app of its own (as two worker processes), ask at once."""
    apps = [make_app(), make_app()]
    now = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    start = threading.Barrier(2)
    results: list[bool] = []

    def worker(each) -> None:
        with each.app_context():
            start.wait()
            results.append(claim_daily_run(now))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(each,)) for each in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert _last_run() == now.isoformat()
