"""Survey invitations and reminders through the outbox to a real SMTP server, on a clock the
test controls: nothing before send_at, reminders every few days up to the maximum, none to
those who answered, opted out or after closing; each in the person's language with links that
work; the audiences; a worker stopped for a month; two workers at once; the opt-out page and
the organiser's counts."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from participants import services as registrations
from participants.models import Registration
from surveys import invitations
from surveys.models import SurveyAnswered, SurveyInvitation
from tests.participants.helpers import as_stored, person
from tests.surveys.helpers import build_survey

pytestmark = pytest.mark.real_smtp


_made = iter(range(1, 100_000))


def _people(event, count: int, came: bool = True, **overrides: Any) -> list[Registration]:
    people = []
    for _n in range(count):
        data = person(next(_made), **overrides)
        people.append(as_stored(registrations.register(event, data)))
    if came:
        ids = [p.id for p in people]
        db.session.execute(
            sa.update(Registration)
            .where(Registration.id.in_(ids))
            .values(attended_at=event.starts_at)
        )
    # The confirmations are not what these tests look at.
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))
    db.session.commit()
    return people


class Mailbox:
    def __init__(self, smtp) -> None:
        self.smtp = smtp
        self.seen = 0

    def new(self) -> list[tuple[str, str, str]]:
        """The messages received since the last look."""
        got = self.smtp.received[self.seen :]
        self.seen = len(self.smtp.received)
        return [
            (
                r.recipients[0],
                str(r.message["Subject"]),
                r.message.get_body(("plain",)).get_content(),
            )
            for r in got
        ]


def _round(box: Mailbox, now) -> list[tuple[str, str, str]]:
    invitations.send_due_invitations(now=now)
    send_due()
    return box.new()


def _token(email: str) -> str:
    return db.session.scalar(
        sa.select(SurveyInvitation.token).where(SurveyInvitation.email == email)
    )


def test_invitations_then_reminders_on_the_clock_in_each_language(client, smtp, make_event):
    event = make_event()
    sv = _people(event, 1)[0]
    fi = _people(event, 1, language="fi")[0]
    en = _people(event, 1, language="en")[0]
    away = _people(event, 1, came=False)[0]
    survey = build_survey(event)
    box = Mailbox(smtp)
    start = survey.send_at

    assert _round(box, start - timedelta(minutes=1)) == []
    got = {to: (subject, text) for to, subject, text in _round(box, start)}
    assert sorted(got) == sorted([sv.email, fi.email, en.email])
    assert away.email not in got
    assert "Vad tyckte du?" in got[sv.email][0]
    assert "Mitä pidit?" in got[fi.email][0] and "Mitä pidit?" in got[fi.email][1]
    assert "What did you think?" in got[en.email][1]
    assert "Thank you for taking part" in got[en.email][1]
    assert event.title in got[en.email][1]
    for who in (sv, fi, en):
        token = _token(who.email)
        text = got[who.email][1]
        assert f"/s/{token}" in text and f"/s/{token}/opt-out" in text
    # The closing day, in the reader's language.
    assert str(survey.closes_at.year) in got[en.email][1]
    # The opt-out link works for the holder of the token.
    assert client.get(f"/s/{_token(en.email)}/opt-out").status_code == 200
    assert _round(box, start) == []  # nobody twice

    # sv answers, fi opts out; en is reminded every 7 days, twice at most.
    sv_invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.email == sv.email)
    )
    db.session.add(SurveyAnswered(invitation_id=sv_invitation.id, answered_on=start.date()))
    db.session.commit()
    assert client.post(f"/s/{_token(fi.email)}/opt-out").status_code == 200
    assert _round(box, start + timedelta(days=6, hours=23)) == []
    first = _round(box, start + timedelta(days=7))
    assert [to for to, _s, _t in first] == [en.email]
    assert first[0][1].startswith("Reminder") and f"/s/{_token(en.email)}" in first[0][2]
    assert _round(box, start + timedelta(days=13)) == []
    assert [to for to, _s, _t in _round(box, start + timedelta(days=14))] == [en.email]
    assert _round(box, start + timedelta(days=30)) == []  # the maximum was 2
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.email == en.email)
    )
    assert invitation.reminders_sent == 2


def test_reminders_and_invitations_stop_when_the_survey_closes(smtp, make_event):
    event = make_event()
    first = _people(event, 1, language="fi")[0]
    survey = build_survey(event, reminder_every_days=7)
    survey.closes_at = survey.send_at + timedelta(days=10)
    db.session.commit()
    box = Mailbox(smtp)
    start = survey.send_at
    assert [to for to, _s, _t in _round(box, start)] == [first.email]
    reminder = _round(box, start + timedelta(days=7))
    assert [to for to, _s, _t in reminder] == [first.email]
    assert reminder[0][1].startswith("Muistutus")
    late = _people(event, 1)[0]  # checked in after the survey closed: not invited
    assert _round(box, start + timedelta(days=14)) == []
    assert _round(box, start + timedelta(days=10)) == []
    assert late.email not in [r.recipients[0] for r in smtp.received]


def test_a_draft_or_closed_survey_sends_nothing(smtp, make_event):
    event = make_event()
    _people(event, 2)
    draft = build_survey(event, status="draft")
    box = Mailbox(smtp)
    assert _round(box, draft.send_at + timedelta(days=1)) == []
    draft.status = "closed"
    db.session.commit()
    assert _round(box, draft.send_at + timedelta(days=1)) == []


def test_audiences_attendees_registrants_and_groups(smtp, make_event):
    event = make_event()
    came = _people(event, 2)
    away = _people(event, 1, came=False)
    suppliers = _people(event, 1, came=False, target_group="supplier")
    cancelled = _people(event, 1)[0]
    db.session.execute(
        sa.update(Registration).where(Registration.id == cancelled.id).values(status="cancelled")
    )
    db.session.commit()
    box = Mailbox(smtp)
    attendees = build_survey(event, title="Kom")
    everyone = build_survey(event, title="Alla", audience="registrants")
    groups = build_survey(event, title="Grupp", audience="groups", target_groups=["supplier"])
    got = _round(box, attendees.send_at)
    by_survey: dict[str, set[str]] = {}
    for to, subject, _text in got:
        title = next(t for t in ("Kom", "Alla", "Grupp") if t in subject)
        by_survey.setdefault(title, set()).add(to)
    assert by_survey["Kom"] == {p.email for p in came}
    assert by_survey["Alla"] == {p.email for p in came + away + suppliers}
    assert by_survey["Grupp"] == {p.email for p in suppliers}
    assert cancelled.email not in {to for to, _s, _t in got}
    assert {everyone.id, groups.id}  # built


def test_a_standalone_survey_invites_each_address_once_from_its_latest_registration(
    smtp, make_event
):
    spring = make_event(title="Vårträffen")
    autumn = make_event(title="Höstträffen")
    _people(spring, 1, email="samma@example.se", language="sv")
    _people(autumn, 1, email="samma@example.se", language="en")
    other = _people(spring, 1)[0]
    survey = build_survey(None, audience="registrants")
    box = Mailbox(smtp)
    got = _round(box, survey.send_at)
    assert Counter(to for to, _s, _t in got) == {"samma@example.se": 1, other.email: 1}
    latest = next(text for to, _s, text in got if to == "samma@example.se")
    assert "What did you think?" in latest  # the later registration's language
    assert "Thank you for taking part" not in latest  # no event to thank for


def test_a_worker_stopped_for_a_month_catches_up_once(app, smtp, make_event):
    app.config["SURVEY_INVITATION_BATCH_SIZE"] = 3
    event = make_event()
    people = _people(event, 7)
    survey = build_survey(event)
    box = Mailbox(smtp)
    month = survey.send_at + timedelta(days=30)
    got = _round(box, month)
    assert sorted(to for to, _s, _t in got) == sorted(p.email for p in people)
    assert _round(box, month) == []
    # The reminders count from the invitation, not from send_at.
    assert _round(box, month + timedelta(days=6)) == []
    reminded = _round(box, month + timedelta(days=7))
    assert Counter(to for to, _s, _t in reminded) == {p.email: 1 for p in people}


def test_a_batch_that_breaks_leaves_nothing_half_done(app, smtp, make_event, monkeypatch):
    app.config["SURVEY_INVITATION_BATCH_SIZE"] = 4
    event = make_event()
    people = _people(event, 6)
    survey = build_survey(event)
    real = invitations.queue_email
    calls = []

    def breaks(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(invitations, "queue_email", breaks)
    with pytest.raises(RuntimeError):
        invitations.send_due_invitations(now=survey.send_at)
    monkeypatch.undo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyInvitation)) == 0
    box = Mailbox(smtp)
    got = _round(box, survey.send_at)
    assert sorted(to for to, _s, _t in got) == sorted(p.email for p in people)


def test_two_workers_at_once_never_invite_or_remind_one_person_twice(app, smtp, make_event):
    app.config["SURVEY_INVITATION_BATCH_SIZE"] = 3
    event = make_event()
    people = _people(event, 20)
    survey = build_survey(event, reminder_max=1)
    survey_id, start = survey.id, survey.send_at

    def race(now) -> None:
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def work() -> None:
            with app.app_context():
                try:
                    barrier.wait()
                    invitations.send_due_invitations(now=now)
                except BaseException as err:  # reported below, not lost in the thread
                    errors.append(err)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []

    race(start)
    race(start + timedelta(days=8))
    send_due()
    kinds = Counter(
        (m.recipient, m.kind)
        for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind.like("survey_%"))
        )
    )
    expected = {(p.email, k): 1 for p in people for k in ("survey_invitation", "survey_reminder")}
    assert kinds == expected
    received = Counter(r.recipients[0] for r in smtp.received)
    assert received == {p.email: 2 for p in people}
    assert survey_id


def test_the_worker_runs_the_invitations_as_its_due_work(smtp, make_event):
    from core.db import utcnow
    from core.worker import run_due_work

    event = make_event()
    who = _people(event, 1)[0]
    build_survey(event, send_at=utcnow() - timedelta(minutes=5),
                 closes_at=utcnow() + timedelta(days=30))  # fmt: skip
    run_due_work()
    send_due()
    assert [r.recipients[0] for r in smtp.received] == [who.email]


def test_the_opt_out_page_confirms_before_it_stops_the_reminders(client, smtp, make_event):
    event = make_event()
    who = _people(event, 1)[0]
    survey = build_survey(event)
    _round(Mailbox(smtp), survey.send_at)
    token = _token(who.email)
    page = client.get(f"/s/{token}/opt-out")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'method="post"' in text and "Vad tyckte du?" in text
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.token == token)
    )
    assert invitation.opted_out_at is None  # a GET changes nothing
    done = client.post(f"/s/{token}/opt-out")
    assert done.status_code == 200 and 'id="opted-out"' in done.get_data(as_text=True)
    db.session.expire_all()
    assert invitation.opted_out_at is not None
    assert client.get("/s/no-such-token/opt-out").status_code == 404
    assert client.post("/s/no-such-token/opt-out").status_code == 404
    box = Mailbox(smtp)
    box.new()
    assert _round(box, survey.send_at + timedelta(days=7)) == []


def _answer(email: str, day) -> None:
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.email == email)
    )
    db.session.add(SurveyAnswered(invitation_id=invitation.id, answered_on=day))
    db.session.commit()


def test_the_status_page_counts_and_lists_who_has_not_answered(client, login, smtp, make_event):
    event = make_event()
    people = _people(event, 4)
    survey = build_survey(event, anonymous=False)
    box = Mailbox(smtp)
    _round(box, survey.send_at)
    _answer(people[0].email, survey.send_at.date())
    db.session.execute(
        sa.update(SurveyInvitation)
        .where(SurveyInvitation.email == people[1].email)
        .values(opted_out_at=survey.send_at)
    )
    db.session.commit()
    _round(box, survey.send_at + timedelta(days=7))
    counts = invitations.invitation_counts(survey)
    assert (counts.invited, counts.reminded, counts.opted_out, counts.answered) == (4, 2, 1, 1)
    assert counts.response_rate == 0.25

    assert client.get(f"/manage/surveys/{survey.id}/invitations").status_code in (302, 401)
    login()
    page = client.get(f"/manage/surveys/{survey.id}/invitations")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "25\u00a0%" in text  # Swedish: a no-break space before the sign
    for p in people[1:]:
        assert p.email in text and p.name in text
    assert people[0].email not in text
    assert "Stockholms stad" in text
    assert client.get("/manage/surveys/999999/invitations").status_code == 404


def test_an_anonymous_surveys_status_page_shows_only_counts(client, login, smtp, make_event):
    event = make_event()
    people = _people(event, 2)
    survey = build_survey(event, anonymous=True)
    _round(Mailbox(smtp), survey.send_at)
    login()
    text = client.get(f"/manage/surveys/{survey.id}/invitations").get_data(as_text=True)
    assert "50\u00a0%" not in text and ">0\u00a0%<" in text
    for p in people:
        assert p.email not in text


def test_no_reminder_for_someone_who_cancelled_after_the_invitation(smtp, make_event):
    event = make_event()
    stays, leaves = _people(event, 2)
    survey = build_survey(event)
    box = Mailbox(smtp)
    start = survey.send_at
    assert sorted(to for to, _s, _t in _round(box, start)) == sorted([stays.email, leaves.email])
    registrations.cancel(leaves)
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))  # the cancellation mail
    db.session.commit()
    reminded = _round(box, start + timedelta(days=survey.reminder_every_days))
    assert [to for to, _s, _t in reminded] == [stays.email]
