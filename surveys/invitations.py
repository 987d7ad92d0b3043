"""Survey invitations and reminders through the outbox, driven by the clock the worker is given.

The worker runs ``send_due_invitations`` every round (registered with core.outbox's due work):

- invite: a survey that is scheduled, whose send_at has come and that is still open gets one
  SurveyInvitation and one outbox row ("survey_invitation") for each person of its audience
  not yet invited; an event's survey its attendees, confirmed registrants or those of chosen
  target groups; a survey that stands alone the same over every event, one invitation per
  address (its latest registration);
- remind: an invitation not answered, not opted out, with reminders left and whose last
  contact is reminder_every_days old gets an outbox row ("survey_reminder") and a raised count.

Each batch is one write transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite): the invitation or raised count and its outbox row commit together or
not at all. The unique (survey, email) pair and a conditional UPDATE on reminders_sent are the
backstops: two workers never invite or remind one person twice. Nothing is kept in the worker:
each round asks the database what is due, so a worker stopped for a month catches up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.db import db, utcnow, write_transaction
from core.outbox import queue_email
from core.urls import external_url
from events.facts import event_facts
from events.models import Event
from events.services import event_rescheduled
from participants.models import Registration
from surveys.content import survey_text
from surveys.models import Survey, SurveyAnswered, SurveyInvitation

INVITATION = "survey_invitation"
REMINDER = "survey_reminder"


# --- who is invited ---------------------------------------------------------------------------


def _open(now: datetime) -> sa.ColumnElement[bool]:
    """Surveys whose invitations go out at `now`."""
    return sa.and_(
        Survey.status == "scheduled",
        Survey.send_at.is_not(None),
        Survey.send_at <= now,
        sa.or_(Survey.closes_at.is_(None), Survey.closes_at > now),
    )


def _audience(survey: Survey) -> sa.Select:
    """The registrations the survey is for (a standalone survey: the latest of each address)."""
    where = [Registration.status == "confirmed"]
    if survey.audience == "attendees":
        where.append(Registration.attended_at.is_not(None))
    if survey.audience == "groups":
        where.append(Registration.target_group.in_(list(survey.target_groups or [])))
    if survey.event_id is not None:
        return sa.select(Registration).where(Registration.event_id == survey.event_id, *where)
    latest = (
        sa.select(
            Registration.id,
            sa.func.row_number()
            .over(
                partition_by=Registration.email,
                order_by=(Registration.created_at.desc(), Registration.id.desc()),
            )
            .label("n"),
        )
        .where(*where)
        .subquery()
    )
    return sa.select(Registration).where(
        Registration.id.in_(sa.select(latest.c.id).where(latest.c.n == 1))
    )


def _uninvited(survey: Survey) -> sa.Select:
    invited = sa.select(SurveyInvitation.email).where(SurveyInvitation.survey_id == survey.id)
    return _audience(survey).where(Registration.email.not_in(invited)).order_by(Registration.id)


# --- the facts an email is written from ------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def invitation_facts(invitation: SurveyInvitation, survey: Survey, name: str) -> dict[str, Any]:
    """The snapshot of an invitation or reminder email, in the invitation's language."""
    lang = invitation.language
    event = db.session.get(Event, survey.event_id) if survey.event_id is not None else None
    return {
        "name": name,
        "survey": {
            "id": survey.id,
            "title": str(survey_text(survey, "title", survey.language, lang)),
            "introduction": str(survey_text(survey, "introduction", survey.language, lang)),
            "closes_at": _iso(survey.closes_at),
        },
        "event": event_facts(event, lang) if event is not None else None,
        "answer_url": external_url("surveys.answer", token=invitation.token),
        "opt_out_url": external_url("survey_invitations.opt_out", token=invitation.token),
    }


# --- inviting ----------------------------------------------------------------------------------


def _claim(now: datetime) -> Survey | None:
    """A due survey that still has people to invite, locked for this worker on PostgreSQL
    (one survey at a time: another worker skips it and takes the next)."""
    due = db.session.scalars(
        sa.select(Survey.id).where(_open(now)).order_by(Survey.send_at, Survey.id)
    ).all()
    for survey_id in due:
        query = sa.select(Survey).where(Survey.id == survey_id, _open(now))
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        survey = db.session.scalar(query)
        if survey is not None and db.session.scalar(_uninvited(survey).limit(1)) is not None:
            return survey
    return None


def invite_batch(now: datetime | None = None, batch_size: int | None = None) -> int | None:
    """One batch of invitations of one due survey: the people invited, or None when nobody is
    left to invite. One transaction: all of the batch or none of it."""
    now = now or utcnow()
    batch_size = batch_size or int(current_app.config.get("SURVEY_INVITATION_BATCH_SIZE", 100))
    with write_transaction():
        survey = _claim(now)
        if survey is None:
            return None
        people = list(db.session.scalars(_uninvited(survey).limit(batch_size)))
        for person in people:
            invitation = SurveyInvitation(
                survey_id=survey.id,
                registration_id=person.id,
                email=person.email,
                language=person.language,
                invited_at=now,
            )
            db.session.add(invitation)
            db.session.flush()  # the token, before the snapshot
            queue_email(
                person.email, INVITATION, person.language,
                invitation_facts(invitation, survey, person.name),
            )  # fmt: skip
        db.session.commit()
        return len(people)


# --- reminding ---------------------------------------------------------------------------------


def _due_reminders(survey: Survey, now: datetime) -> sa.Select:
    answered = sa.select(SurveyAnswered.invitation_id)
    # Someone who cancelled after the invitation has left: no reminders chase them.
    cancelled = sa.select(Registration.id).where(Registration.status == "cancelled")
    last_contact = sa.func.coalesce(SurveyInvitation.reminded_at, SurveyInvitation.invited_at)
    return (
        sa.select(SurveyInvitation)
        .where(
            SurveyInvitation.survey_id == survey.id,
            SurveyInvitation.opted_out_at.is_(None),
            SurveyInvitation.reminders_sent < survey.reminder_max,
            last_contact <= now - timedelta(days=survey.reminder_every_days),
            SurveyInvitation.id.not_in(answered),
            sa.or_(
                SurveyInvitation.registration_id.is_(None),
                SurveyInvitation.registration_id.not_in(cancelled),
            ),
        )
        .order_by(SurveyInvitation.id)
    )


def remind_batch(now: datetime | None = None, batch_size: int | None = None) -> int | None:
    """One batch of reminders of one open survey: the people reminded, or None when nobody is
    due a reminder. One transaction."""
    now = now or utcnow()
    batch_size = batch_size or int(current_app.config.get("SURVEY_INVITATION_BATCH_SIZE", 100))
    postgres = db.engine.dialect.name == "postgresql"
    with write_transaction():
        surveys = db.session.scalars(
            sa.select(Survey).where(_open(now), Survey.reminder_max > 0).order_by(Survey.id)
        ).all()
        for survey in surveys:
            query = _due_reminders(survey, now).limit(batch_size)
            if postgres:
                query = query.with_for_update(skip_locked=True, of=SurveyInvitation)
            due = list(db.session.scalars(query))
            if not due:
                continue
            reminded = 0
            for invitation in due:
                # Conditional: only the worker that raised the count sends the reminder.
                raised = db.session.execute(
                    sa.update(SurveyInvitation)
                    .where(
                        SurveyInvitation.id == invitation.id,
                        SurveyInvitation.reminders_sent == invitation.reminders_sent,
                    )
                    .values(reminders_sent=invitation.reminders_sent + 1, reminded_at=now)
                    .execution_options(synchronize_session=False)
                )
                if raised.rowcount != 1:
                    continue
                registration = (
                    db.session.get(Registration, invitation.registration_id)
                    if invitation.registration_id is not None
                    else None
                )
                queue_email(
                    invitation.email, REMINDER, invitation.language,
                    invitation_facts(invitation, survey, registration.name if registration else ""),
                )  # fmt: skip
                reminded += 1
            db.session.commit()
            return reminded
        return None


def send_due_invitations(now: datetime | None = None, max_batches: int | None = None) -> int:
    """Queue every due invitation, then every due reminder, batch by batch; the emails queued."""
    now = now or utcnow()
    queued = batches = 0
    for batch in (invite_batch, remind_batch):
        while max_batches is None or batches < max_batches:
            count = batch(now)
            if count is None:
                break
            queued += count
            batches += 1
    return queued


# --- following the event --------------------------------------------------------------------


def follow_event(event: Event) -> list[Survey]:
    """The event's surveys sent some days after its end (send_after_days), not yet sent
    (no invitation yet) nor closed: send_at moves to the new end plus those days, and
    closes_at by as much, so the survey stays open as long. In the caller's transaction."""
    moved = []
    surveys = db.session.scalars(
        sa.select(Survey).where(
            Survey.event_id == event.id,
            Survey.send_after_days.is_not(None),
            Survey.status != "closed",
            ~sa.exists().where(SurveyInvitation.survey_id == Survey.id),
        )
    ).all()
    for survey in surveys:
        send_at = event.ends_at + timedelta(days=survey.send_after_days or 0)
        if survey.send_at == send_at:
            continue
        if survey.closes_at is not None and survey.send_at is not None:
            survey.closes_at = survey.closes_at + (send_at - survey.send_at)
        survey.send_at = send_at
        moved.append(survey)
    return moved


@event_rescheduled.connect
def _event_rescheduled(event: Event, **_extra: Any) -> None:
    follow_event(event)  # events.services.update_event commits


# --- the counts the organiser sees -------------------------------------------------------------


@dataclass(frozen=True)
class InvitationCounts:
    invited: int
    reminded: int  # people reminded at least once
    reminders: int  # reminders sent in all
    opted_out: int
    answered: int

    @property
    def response_rate(self) -> float | None:
        """Answered of invited, 0…1; None before anyone is invited."""
        return self.answered / self.invited if self.invited else None


def invitation_counts(survey: Survey) -> InvitationCounts:
    """Invited, reminded, opted out and answered of the survey, in one aggregate query."""
    invitation = SurveyInvitation
    row = db.session.execute(
        sa.select(
            sa.func.count(invitation.id),
            sa.func.count(sa.case((invitation.reminders_sent > 0, 1))),
            sa.func.coalesce(sa.func.sum(invitation.reminders_sent), 0),
            sa.func.count(invitation.opted_out_at),
            sa.func.count(SurveyAnswered.invitation_id),
        )
        .select_from(invitation)
        .outerjoin(SurveyAnswered, SurveyAnswered.invitation_id == invitation.id)
        .where(invitation.survey_id == survey.id)
    ).one()
    return InvitationCounts(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class NotAnswered:
    name: str
    organisation: str
    email: str
    invited_at: datetime
    reminders_sent: int
    opted_out: bool


def not_answered(survey: Survey) -> list[NotAnswered]:
    """Those invited who have not answered (for a survey that is not anonymous only)."""
    from participants.models import Organisation

    if survey.anonymous:
        return []
    rows = db.session.execute(
        sa.select(
            sa.func.coalesce(Registration.name, ""),
            sa.func.coalesce(Organisation.name, ""),
            SurveyInvitation.email,
            SurveyInvitation.invited_at,
            SurveyInvitation.reminders_sent,
            SurveyInvitation.opted_out_at,
        )
        .select_from(SurveyInvitation)
        .outerjoin(Registration, Registration.id == SurveyInvitation.registration_id)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(
            SurveyInvitation.survey_id == survey.id,
            SurveyInvitation.id.not_in(sa.select(SurveyAnswered.invitation_id)),
        )
        .order_by(Registration.name, SurveyInvitation.email)
    ).all()
    return [NotAnswered(r[0], r[1], r[2], r[3], r[4], r[5] is not None) for r in rows]
