"""The organiser's message to an event's registrants (a Mailing): who it reaches, the texts per
language, a preview and a test copy, and sending it now or at a time.

Who gets it (`audience_of`): the registrations the list's filters pick (status, target group,
attended, search) and/or the chosen registration ids, leaving out cancelled ones unless the
status filter asks for them; one message per email address (the latest registration of it).
The audience is read again when the mailing is sent, so a person who registers or cancels
before a scheduled time is counted as they are then.

Each recipient gets the subject and body in their registration's language when the mailing has
both in it, else in the event's language (which every mailing has). The outbox row is queued in
the language of the text used, so the wrapper around it (greeting, the event's facts, the
manage link, the footer, the HTML's lang attribute) is in that same language: a Swedish body
never arrives inside a Finnish wrapper.

Sending (`send_due_mailings`, run by the worker every round as due work): one write
transaction claims a due mailing with a conditional UPDATE scheduled -> sending (after FOR
UPDATE SKIP LOCKED on PostgreSQL; SQLite's BEGIN IMMEDIATE makes a second worker wait and then
find it no longer scheduled), queues one outbox row per recipient and marks it sent with the
count. It commits whole or not at all: two workers never send it twice, a crash sends nothing.
A mailing to be sent "now" goes the same way inside the request that creates it.

Rules for a mailing (`create_mailing`): a subject and a body in the event's language; in any
other language both or neither; a subject of at most 200 characters on one line, a body of at
most 20,000; no NUL or lone surrogate. A scheduled time must be in the future and at most 90
days after the event ends (a follow-up after the event is fine; a typo in the year is not).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import record
from core.db import db, utcnow, write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.mail_render import RenderedMail, render_message
from core.models import Organiser
from core.outbox import queue_email
from core.text import is_bad_text
from events.facts import event_facts
from events.models import LANGUAGES, Event
from events.parsing import moment_error, parse_moment
from events.queries import require_manage
from participants.emails import manage_url
from participants.models import Mailing, Registration
from participants.queries import FILTER_KEYS, RegistrationFilters, registrations_query

KIND = "bulk_message"
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_IDS = 10_000
LATEST_AFTER_EVENT = timedelta(days=90)  # the latest a mailing may be scheduled after the end
MAILING_STATUSES = ("scheduled", "sending", "sent", "cancelled")


# --- who it reaches ---------------------------------------------------------------------------


def parse_audience(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The audience as stored: the filters given (status, target_group, attended yes/no, q) and
    the chosen registration ids {"ids": [...]}. ValidationError names an unknown filter value
    (never a wider audience) or bad ids."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise ValidationError({"audience": _l("Choose who gets the message.")})
    filters = {k: data[k] for k in FILTER_KEYS if isinstance(data.get(k), str) and data[k]}
    bad = [k for k, v in filters.items() if is_bad_text(v)]
    if bad:
        raise ValidationError({k: _l("Remove the character that cannot be used.") for k in bad})
    RegistrationFilters.parse(filters)  # raises naming each unknown value
    if len(filters.get("q", "")) > 100:
        raise ValidationError({"q": _l("At most %(n)s characters.", n=100)})
    audience: dict[str, Any] = dict(filters)
    if filters.get("q"):
        audience["q"] = filters["q"].strip()
    raw_ids = data.get("ids")
    if raw_ids not in (None, []):
        if (
            not isinstance(raw_ids, list)
            or len(raw_ids) > MAX_IDS
            or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in raw_ids
            )
        ):
            raise ValidationError({"ids": _l("Choose people from the list of registrations.")})
        audience["ids"] = list(dict.fromkeys(raw_ids))
    return audience


def audience_of(event: Event, audience: Mapping[str, Any]) -> list[Registration]:
    """The registrations a mailing with this audience goes to now: one per email address."""
    filters = RegistrationFilters.parse({k: audience.get(k) for k in FILTER_KEYS})
    query = registrations_query(event, filters)
    if not filters.status:
        query = query.where(Registration.status != "cancelled")
    if "ids" in audience:
        query = query.where(Registration.id.in_(list(audience["ids"]) or [0]))
    chosen: dict[str, Registration] = {}
    for registration in db.session.scalars(query):
        chosen[registration.email] = registration  # the latest registration of an address
    return list(chosen.values())


def message_language(
    registration_language: str, event: Event, languages: set[str] | frozenset[str]
) -> str:
    """The language a recipient's message is written in: theirs when the mailing has a text in
    it, else the event's."""
    return registration_language if registration_language in languages else event.language


@dataclass
class Reach:
    """How many people a mailing reaches, and how many of them get it in each language."""

    total: int
    by_language: dict[str, int] = field(default_factory=dict)  # the language they receive


def reach(
    event: Event, audience: Mapping[str, Any], languages: set[str] | frozenset[str] | None = None
) -> Reach:
    """The number of people the audience reaches now, and per language: the language each will
    receive when the mailing has texts in `languages` (by default: each person's own)."""
    people = audience_of(event, audience)
    counted = Counter(
        r.language if languages is None else message_language(r.language, event, languages)
        for r in people
    )
    order = [event.language, *(lang for lang in LANGUAGES if lang != event.language)]
    return Reach(len(people), {lang: counted[lang] for lang in order if counted[lang]})


# --- the texts ----------------------------------------------------------------------------------


@dataclass
class Texts:
    """The subject and body in each language that has them (the event's always)."""

    subjects: dict[str, str]
    bodies: dict[str, str]

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.subjects)


def _one_line(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _body(value: Any) -> str:
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def parse_texts(event: Event, subjects: Any, bodies: Any) -> Texts:
    """The texts per language, checked. Errors are named `subjects.<lang>` / `bodies.<lang>`."""
    subjects = subjects if isinstance(subjects, Mapping) else {}
    bodies = bodies if isinstance(bodies, Mapping) else {}
    errors: dict[str, Any] = {}
    unknown = [k for k in [*subjects, *bodies] if k not in LANGUAGES]
    if unknown:
        errors["languages"] = _l("Choose one of: %(choices)s.", choices=", ".join(LANGUAGES))
    kept_subjects: dict[str, str] = {}
    kept_bodies: dict[str, str] = {}
    for lang in LANGUAGES:
        subject, body = _one_line(subjects.get(lang)), _body(bodies.get(lang))
        s_key, b_key = f"subjects.{lang}", f"bodies.{lang}"
        if is_bad_text(subject):
            errors[s_key] = _l("Remove the character that cannot be used.")
        elif len(subject) > MAX_SUBJECT:
            errors[s_key] = _l("At most %(n)s characters.", n=MAX_SUBJECT)
        if is_bad_text(body):
            errors[b_key] = _l("Remove the character that cannot be used.")
        elif len(body) > MAX_BODY:
            errors[b_key] = _l("At most %(n)s characters.", n=MAX_BODY)
        required = lang == event.language
        if not subject and (required or body) and s_key not in errors:
            errors[s_key] = _l("Enter a subject.")
        if not body and (required or subject) and b_key not in errors:
            errors[b_key] = _l("Enter the text of the message.")
        if subject and body:
            kept_subjects[lang], kept_bodies[lang] = subject, body
    if errors:
        raise ValidationError(errors)
    return Texts(kept_subjects, kept_bodies)


def parse_send_at(event: Event, value: Any, now: datetime | None = None) -> datetime | None:
    """None (send now), or the scheduled instant in UTC from ISO 8601 or a local time in the
    event's zone: in the future and at most 90 days after the event ends."""
    if value in (None, "", "now"):
        return None
    now = now or utcnow()
    try:
        moment = parse_moment(value, event.timezone)
    except (ValueError, TypeError, OverflowError) as err:
        raise ValidationError({"send_at": moment_error(err)}) from err
    if moment <= now:
        raise ValidationError({"send_at": _l("Choose a time in the future.")})
    if moment > event.ends_at + LATEST_AFTER_EVENT:
        raise ValidationError(
            {"send_at": _l("Choose a time at most 90 days after the event ends.")}
        )
    return moment


# --- one recipient's message --------------------------------------------------------------------


def _facts(
    event: Event,
    texts: Texts,
    language: str,
    person: Mapping[str, str],
    link: str | None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "registration": dict(person),
        "event": event_facts(event, language),
        "manage_url": link,
        "subject": texts.subjects[language],
        "body": texts.bodies[language],
        "body_language": language,
        **extra,
    }


def _queue_to(registration: Registration, event: Event, texts: Texts, mailing_id: int) -> None:
    language = message_language(registration.language, event, texts.languages)
    person = {"name": registration.name, "email": registration.email,
              "status": registration.status}  # fmt: skip
    facts = _facts(event, texts, language, person, manage_url(registration), mailing_id=mailing_id)
    queue_email(registration.email, KIND, language, facts, registration_id=registration.id)


def preview(event: Event, subjects: Any, bodies: Any, language: str) -> RenderedMail:
    """The message a recipient whose language is `language` gets, rendered as the worker
    renders it (their own name and manage link stand in as placeholders)."""
    texts = parse_texts(event, subjects, bodies)
    used = message_language(language, event, texts.languages)
    person = {"name": str(_l("(the recipient's name)")), "email": "", "status": "confirmed"}
    facts = _facts(event, texts, used, person, None)
    return render_message(KIND, used, facts)


def previews(event: Event, texts: Texts, languages: list[str]) -> dict[str, RenderedMail]:
    """The rendered message in each of these (received) languages."""
    return {
        lang: preview(event, texts.subjects, texts.bodies, lang)
        for lang in languages
        if lang in texts.languages
    }


def test_send(organiser: Organiser, event: Event, subjects: Any, bodies: Any, language: str) -> str:
    """One copy, as a recipient in `language` would get it, to the organiser's own address,
    marked as a test in its subject. Returns the address."""
    require_manage(organiser, event)
    texts = parse_texts(event, subjects, bodies)
    used = message_language(language, event, texts.languages)
    person = {"name": organiser.name, "email": organiser.email, "status": "confirmed"}
    with write_transaction():
        facts = _facts(event, texts, used, person, None, test=True)
        queue_email(organiser.email, KIND, used, facts)
        db.session.commit()
    return organiser.email


# --- creating, sending, cancelling --------------------------------------------------------------


def create_mailing(
    organiser: Organiser,
    event: Event,
    subjects: Any,
    bodies: Any,
    audience: Mapping[str, Any] | None,
    send_at: Any = None,
) -> Mailing:
    """A mailing of the event, checked (ValidationError naming each field: `subjects.<lang>`,
    `bodies.<lang>`, `languages`, `audience.<filter>`, `audience.ids`, `send_at`): sent at once when
    `send_at` is empty, else scheduled for that time (a local time in the event's zone, or
    ISO 8601 with an offset)."""
    require_manage(organiser, event)
    errors: dict[str, Any] = {}
    texts = audience_value = moment = None
    for parse in ("texts", "audience", "send_at"):
        try:
            if parse == "texts":
                texts = parse_texts(event, subjects, bodies)
            elif parse == "audience":
                audience_value = parse_audience(audience)
            else:
                moment = parse_send_at(event, send_at)
        except ValidationError as err:
            prefix = "audience." if parse == "audience" else ""
            errors.update({f"{prefix}{k}": v for k, v in err.fields.items()})
    if errors or texts is None or audience_value is None:
        raise ValidationError(errors)
    with write_transaction():
        mailing = Mailing(
            event_id=event.id,
            created_by_id=organiser.id,
            subjects=texts.subjects,
            bodies=texts.bodies,
            audience=audience_value,
            send_at=moment or utcnow(),
            status="scheduled",
        )
        db.session.add(mailing)
        db.session.flush()
        if moment is None:
            _deliver(mailing, event)
        record(
            "mailing_sent",
            event_id=event.id,
            subject=f"mailing:{mailing.id}",
            detail={"scheduled": moment is not None, "recipients": mailing.recipient_count},
            organiser=organiser,
        )
        db.session.commit()
    return mailing


def _deliver(mailing: Mailing, event: Event) -> int:
    """Queue one outbox row per recipient and mark the mailing sent (in the caller's
    transaction, which has claimed it)."""
    texts = Texts(dict(mailing.subjects), dict(mailing.bodies))
    recipients = audience_of(event, mailing.audience or {})
    for registration in recipients:
        _queue_to(registration, event, texts, mailing.id)
    mailing.status = "sent"
    mailing.recipient_count = len(recipients)
    mailing.sent_at = utcnow()
    return len(recipients)


def _claim(now: datetime) -> Mailing | None:
    """A due scheduled mailing, taken by this worker: locked (PostgreSQL, others skip it) and
    moved scheduled -> sending with a conditional UPDATE that only one transaction can win."""
    query = (
        sa.select(Mailing)
        .where(Mailing.status == "scheduled", Mailing.send_at <= now)
        .order_by(Mailing.send_at, Mailing.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    mailing = db.session.scalar(query)
    if mailing is None:
        return None
    won = db.session.execute(
        sa.update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.status == "scheduled")
        .values(status="sending")
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        return None
    db.session.refresh(mailing)
    return mailing


def send_due_mailings(now: datetime | None = None, limit: int | None = None) -> int:
    """Send every scheduled mailing whose time has come (each in its own transaction); the
    emails queued. The worker runs this every round."""
    now = now or utcnow()
    queued = done = 0
    while limit is None or done < limit:
        with write_transaction():
            mailing = _claim(now)
            if mailing is None:
                return queued
            queued += _deliver(mailing, db.session.get(Event, mailing.event_id))
            db.session.commit()
        done += 1
    return queued


def cancel_mailing(organiser: Organiser, event: Event, mailing_id: int) -> Mailing:
    """Cancel a scheduled mailing; Conflict when it has already gone (or been cancelled)."""
    require_manage(organiser, event)
    with write_transaction():
        changed = db.session.execute(
            sa.update(Mailing)
            .where(
                Mailing.id == mailing_id,
                Mailing.event_id == event.id,
                Mailing.status == "scheduled",
            )
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    mailing = db.session.get(Mailing, mailing_id, populate_existing=True)
    if mailing is None or mailing.event_id != event.id:
        raise NotFound(_l("No such message."))
    if changed != 1:
        raise Conflict(_l("Only a scheduled message can be cancelled; this one is not."))
    return mailing


def event_mailings(event: Event) -> list[Mailing]:
    """The event's mailings, the latest first."""
    return list(
        db.session.scalars(
            sa.select(Mailing)
            .where(Mailing.event_id == event.id)
            .order_by(Mailing.send_at.desc(), Mailing.id.desc())
        )
    )
