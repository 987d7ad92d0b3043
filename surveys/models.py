"""Surveys: their sections, questions and options (texts in three languages), the invitations
that carry each person's token, the fact that a person answered, and the responses.

Anonymity is kept by the shape of the tables: a response of an anonymous survey has no
invitation, registration or organisation, its id is random (not a sequence that follows the
order of answering) and its date is a day, not a moment. That a person answered is kept apart,
in SurveyAnswered, whose primary key is also what lets one token answer only once.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow
from core.models import Organiser
from events.models import Event

QUESTION_TYPES = (
    "likert5",
    "single_choice",
    "multiple_choice",
    "yes_no",
    "number",
    "short_text",
    "long_text",
)
CHOICE_TYPES = ("single_choice", "multiple_choice", "yes_no")
TEMPLATES = ("feedback", "adoption_followup")
AUDIENCES = ("attendees", "registrants", "groups")
STATUSES = ("draft", "scheduled", "closed")


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def new_response_id() -> str:
    return secrets.token_hex(16)  # random: ids say nothing of the order of answering


class Survey(db.Model):
    __tablename__ = "survey"
    __table_args__ = (
        sa.CheckConstraint("audience IN ('attendees', 'registrants', 'groups')", name="audience"),
        sa.CheckConstraint("status IN ('draft', 'scheduled', 'closed')", name="status"),
        sa.CheckConstraint("reminder_max >= 0 AND reminder_every_days >= 1", name="reminders"),
        sa.Index("ix_survey_due", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a survey that stands alone, for the people of every event (one invitation per
    # address, to their latest registration).
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    template: Mapped[str | None] = mapped_column(sa.String(30))  # what it was started from
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")  # of title/introduction
    title: Mapped[str] = mapped_column(sa.String(200))
    introduction: Mapped[str] = mapped_column(sa.Text, default="")  # plain text
    # {"en": {"title": "…", "introduction": "…"}, "fi": {…}}: only the texts given.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    audience: Mapped[str] = mapped_column(sa.String(12), default="attendees")
    target_groups: Mapped[list] = mapped_column(sa.JSON, default=list)  # for audience "groups"
    anonymous: Mapped[bool] = mapped_column(default=True)
    # draft: not sent; scheduled: the worker invites when send_at has come and reminds;
    # closed: by the organiser (or after closes_at, which the pages also read).
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    # Days after the event's end (shown to organisers); send_at is the moment it gives.
    send_after_days: Mapped[int | None] = mapped_column()
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the link closes then
    reminder_max: Mapped[int] = mapped_column(default=2)
    reminder_every_days: Mapped[int] = mapped_column(default=7)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event | None] = relationship()
    created_by: Mapped[Organiser | None] = relationship()
    sections: Mapped[list[SurveySection]] = relationship(
        cascade="all, delete-orphan", order_by="SurveySection.position"
    )
    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", order_by="SurveyQuestion.position"
    )


class SurveySection(db.Model):
    """A heading over the questions after it; a long survey is answered section by section."""

    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))  # in the survey's language
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")


class SurveyQuestion(db.Model):
    __tablename__ = "survey_question"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "code", name="uq_survey_question_code"),
        sa.CheckConstraint(
            "type IN ('likert5', 'single_choice', 'multiple_choice', 'yes_no', 'number', "
            "'short_text', 'long_text')",
            name="type",
        ),
        sa.CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value", name="range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_section.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column()  # order in the whole survey
    # Stable across surveys made from one template: the impact report reads answers by code.
    code: Mapped[str] = mapped_column(sa.String(60))
    type: Mapped[str] = mapped_column(sa.String(20))
    required: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(sa.String(500))  # in the survey's language
    help: Mapped[str] = mapped_column(sa.String(500), default="")
    # {"en": {"text": "…", "help": "…"}, "fi": {…}}
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    min_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))  # number questions
    max_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    # Asked only of these target groups ([] everyone): suppliers get other questions.
    target_groups: Mapped[list] = mapped_column(sa.JSON, default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    section: Mapped[SurveySection | None] = relationship()
    options: Mapped[list[SurveyOption]] = relationship(
        cascade="all, delete-orphan", order_by="SurveyOption.position"
    )


class SurveyOption(db.Model):
    __tablename__ = "survey_option"
    __table_args__ = (sa.UniqueConstraint("question_id", "code", name="uq_survey_option_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_question.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str] = mapped_column(sa.String(300))  # in the survey's language
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")


class SurveyInvitation(db.Model):
    """One person's token for one survey, and where their invitation and reminders stand."""

    __tablename__ = "survey_invitation"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "email", name="uq_survey_invitation_person"),
        sa.Index("ix_survey_invitation_reminders", "survey_id", "reminded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))  # one invitation per address
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # queued then
    reminders_sent: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest reminder
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no more reminders

    survey: Mapped[Survey] = relationship()


class SurveyAnswered(db.Model):
    """That the holder of an invitation has answered, apart from what they answered. Its
    primary key is the one-response-per-token rule: a second submission cannot insert it and
    rolls back with its response."""

    __tablename__ = "survey_answered"

    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_invitation.id", ondelete="CASCADE"), primary_key=True
    )
    answered_on: Mapped[date] = mapped_column(sa.Date)


class SurveyDraft(db.Model):
    """The answers saved so far by someone who will continue later on the same link; deleted
    when they submit."""

    __tablename__ = "survey_draft"

    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_invitation.id", ondelete="CASCADE"), primary_key=True
    )
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {"q-12": ["…"], …}
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SurveyResponse(db.Model):
    """One submitted response, with what the results are broken down by, copied at the time.
    In an anonymous survey invitation_id and organisation_id are None."""

    __tablename__ = "survey_response"
    __table_args__ = (
        sa.UniqueConstraint("invitation_id", name="uq_survey_response_invitation"),
        sa.Index("ix_survey_response_survey", "survey_id", "target_group"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_response_id)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_invitation.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="SET NULL"), index=True
    )  # the event the person was invited from
    target_group: Mapped[str] = mapped_column(sa.String(40))
    organisation_kind: Mapped[str] = mapped_column(sa.String(20))  # participants.kinds
    country: Mapped[str] = mapped_column(sa.String(5))
    language: Mapped[str] = mapped_column(sa.String(2))
    submitted_on: Mapped[date] = mapped_column(sa.Date)  # a day, never a moment

    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan")


class SurveyAnswer(db.Model):
    """One answer: a chosen option (one row per option of a multiple choice), a number (a
    likert5 answer is 1…5) or a text."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        sa.Index("ix_survey_answer_question", "question_id", "option_id"),
        sa.Index("ix_survey_answer_response", "response_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)  # fmt: skip
    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("survey_response.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_question.id", ondelete="CASCADE")
    )
    option_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_option.id", ondelete="CASCADE")
    )
    number: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    text: Mapped[str | None] = mapped_column(sa.Text)


class SurveyNumberTotal(db.Model):
    """The numeric answers (number and likert5 questions) of the responses about an event,
    counted and summed per question, event and kind of organisation: kept as responses are
    submitted (surveys.totals), so the impact report adds up a few rows instead of reading
    every answer. `flask --app app surveys totals` recounts them. A response about no event
    is in no report, so it is not kept here."""

    __tablename__ = "survey_number_total"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    answers: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2), default=0)


class RegistrationStage(db.Model):
    """How far a registration has come after registering, for the impact report's funnel: took
    a material through its link, was invited to a survey, answered one, said yes to the
    adoption question in a named survey. Kept as those rows are written (surveys.stages), so
    the report reads one row per registration instead of grouping downloads, invitations and
    answers; no row is a registration that has done none of these (registering writes nothing
    here). `flask --app app surveys totals` recounts them."""

    __tablename__ = "registration_stage"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    downloaded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    invited: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    answered: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    adopted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class SurveyAdoptionTotal(db.Model):
    """The responses that answered the adoption question (used_employment_requirements), and
    those that answered yes, counted per question, event and what a response is broken down
    by (target group, kind of organisation, country): kept as the answers are written
    (surveys.adoption), so the impact report adds up a few rows for the anonymous surveys'
    yes answers instead of reading every answer. `flask --app app surveys totals` recounts
    them. A response about no event is in no report, so it is not kept here."""

    __tablename__ = "survey_adoption_total"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    target_group: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    organisation_kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    country: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    responses: Mapped[int] = mapped_column(default=0)
    yes: Mapped[int] = mapped_column(default=0)
