"""Printouts the worker builds (participants.models.Printout): an organiser asks for the name
badges or the attendance list of an event (a language, maybe one session), the request writes
a queued row and answers at once, and the worker builds the PDF with participants.printables
and keeps it in the database, which every app host shares, for download. So a printout of
1,000 or 5,000 people never runs into the web server's timeout (pretix and Indico build their
large exports the same way).

Asking twice for the same printout while one is queued or being built gives the one already
asked for, not a second (`request_printout`).

Building (`build_due_printouts`, due work the worker runs every round): one short write
transaction claims the oldest queued printout with a lease (`claimed_until`): after FOR UPDATE
SKIP LOCKED on PostgreSQL, a conditional UPDATE queued -> building that only one transaction
can win (on SQLite BEGIN IMMEDIATE makes the second worker wait and then find it taken). The
people are read and the HTML rendered in a read that ends before WeasyPrint starts; the PDF is
written outside any transaction, then a second short transaction stores it, but only while
this worker still holds the lease. A worker that died mid-build leaves its lease to expire, and
the next worker takes the printout over; one that has been taken over for longer than GIVE_UP
is marked failed, so a printout that kills its worker does not do so forever. An error while
building is stored as failed with the error, never retried by itself (the organiser can ask
again).

Printouts hold personal data (names, organisations, ticket links): each ready or failed one is
deleted KEEP_FOR (7 days) after it was finished, by the same due work.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import defer

from core.audit import record
from core.db import db, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Organiser
from events.models import Event, Session
from events.queries import require_manage
from participants import printables
from participants.models import PRINTOUT_KINDS, Printout

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # a worker's hold on a printout it builds (1,000 badges: ~20 s)
GIVE_UP = timedelta(hours=1)  # taken over again and again for this long: marked failed
KEEP_FOR = timedelta(days=7)  # a ready or failed printout is deleted this long after
SMALL_EVENT = 100  # up to this many people the old GET links still build the PDF at once
ROUND_SECONDS = 60.0  # a worker's round builds printouts for at most about this long
RECENT = 20  # printouts listed on the print page
UNFINISHED = ("queued", "building")
TEMPLATES = {"badges": "badges.html", "attendance_list": "attendance_list.html"}


# --- asking -------------------------------------------------------------------------------------


def parse_kind(kind: str | None) -> str:
    if kind not in PRINTOUT_KINDS:
        raise ValidationError({"kind": _l("Choose name badges or the attendance list.")})
    return kind


def request_printout(
    event: Event, kind: str, language: str, session: Session | None, organiser: Organiser
) -> Printout:
    """A queued printout of the event, or the identical one already queued or being built."""
    require_manage(organiser, event)
    kind = parse_kind(kind)
    language = printables.print_language(event, language)
    if session is not None and session.event_id != event.id:
        raise NotFound(_l("There is no such session for this event."))
    session_id = session.id if session is not None else None
    with write_transaction():
        if db.engine.dialect.name == "postgresql":
            # Two clicks at once on PostgreSQL: the second waits here and finds the first.
            db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())
        same = db.session.scalar(
            sa.select(Printout)
            .options(defer(Printout.content))
            .where(
                Printout.event_id == event.id,
                Printout.kind == kind,
                Printout.language == language,
                Printout.session_id.is_(None)
                if session_id is None
                else Printout.session_id == session_id,
                Printout.status.in_(UNFINISHED),
            )
            .order_by(Printout.id)
            .limit(1)
        )
        printout = same
        if printout is None:
            printout = Printout(
                event_id=event.id,
                kind=kind,
                language=language,
                session_id=session_id,
                requested_by_id=organiser.id,
                status="queued",
                created_at=utcnow(),
            )
            db.session.add(printout)
            db.session.flush()
        record(  # the list of names is asked for now (made by the worker, or one in the making)
            "registrations_exported",
            event_id=event.id,
            subject=f"printout:{printout.id}",
            detail={"format": f"{kind}_pdf", "made": True, "session": session_id},
            organiser=organiser,
        )
        db.session.commit()
    return printout


def event_printout(organiser: Organiser, event: Event, printout_id: int) -> Printout:
    """One of the event's printouts (its PDF not loaded); NotFound for another event's."""
    require_manage(organiser, event)
    if not 0 < printout_id < 2**31:  # beyond any id (and PostgreSQL's integer)
        raise NotFound(_l("There is no such printout."))
    printout = db.session.scalar(
        sa.select(Printout)
        .options(defer(Printout.content))
        .where(Printout.id == printout_id, Printout.event_id == event.id)
        .execution_options(populate_existing=True)
    )
    if printout is None:
        raise NotFound(_l("There is no such printout."))
    return printout


def printout_pdf(organiser: Organiser, event: Event, printout_id: int) -> Printout:
    """A ready printout of the event with its PDF; NotFound when it is not (or no longer) there."""
    printout = event_printout(organiser, event, printout_id)
    if printout.status != "ready":
        raise NotFound(_l("This printout is not ready."))
    return printout


def recent_printouts(event: Event, limit: int = RECENT) -> list[Printout]:
    """The event's latest printouts, newest first, without their PDFs."""
    return list(
        db.session.scalars(
            sa.select(Printout)
            .options(defer(Printout.content))
            .where(Printout.event_id == event.id)
            .order_by(Printout.created_at.desc(), Printout.id.desc())
            .limit(limit)
        )
    )


def people_count(event: Event, session: Session | None = None) -> int:
    """How many people a printout of the event (or of one session) lists: the kept count."""
    return (session or event).confirmed_count


def deleted_on(printout: Printout) -> datetime | None:
    """When a finished printout is deleted."""
    return printout.finished_at + KEEP_FOR if printout.finished_at else None


# --- building -----------------------------------------------------------------------------------


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """Queued, or being built by a worker whose lease has run out."""
    return sa.or_(
        Printout.status == "queued",
        sa.and_(Printout.status == "building", Printout.claimed_until < now),
    )


def _claim(now: datetime) -> tuple[int, datetime] | None:
    """The oldest due printout, taken by this worker until now + LEASE: (id, lease), or None.
    One printout taken over for longer than GIVE_UP is marked failed instead."""
    with write_transaction():
        query = (
            sa.select(Printout.id, Printout.status, Printout.created_at)
            .where(_due(now))
            .order_by(Printout.created_at, Printout.id)
            .limit(1)
        )
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = db.session.execute(query).first()
        if row is None:
            return None
        lease = now + LEASE
        if row.status == "building" and row.created_at < now - GIVE_UP:
            values: dict[str, object] = {
                "status": "failed",
                "error": "The worker stopped while building it, more than once.",
                "finished_at": now,
                "claimed_until": None,
            }
        else:
            values = {"status": "building", "claimed_until": lease}
        won = db.session.execute(
            sa.update(Printout)
            .where(Printout.id == row.id, _due(now))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    if won != 1:
        return None
    if values["status"] == "failed":
        log.error("printout %s: given up after its workers stopped", row.id)
        return _claim(now)
    return row.id, lease


def _html(printout_id: int) -> tuple[str, int]:
    """The printout's HTML and how many people it lists, read in one read that ends here."""
    try:
        printout = db.session.get(Printout, printout_id, options=[defer(Printout.content)])
        assert printout is not None
        event = db.session.get(Event, printout.event_id)
        assert event is not None
        session = db.session.get(Session, printout.session_id) if printout.session_id else None
        badges = printout.kind == "badges"
        sheet = printables.printout(event, printout.language, session, badges=badges)
        return printables.printout_html(TEMPLATES[printout.kind], sheet), len(sheet.rows)
    finally:
        db.session.rollback()  # no read stays open while WeasyPrint works


def _finish(printout_id: int, lease: datetime, now: datetime, **values: object) -> bool:
    """Store the outcome if this worker still holds the printout; False when another took it."""
    with write_transaction():
        stored = db.session.execute(
            sa.update(Printout)
            .where(
                Printout.id == printout_id,
                Printout.status == "building",
                Printout.claimed_until == lease,
            )
            .values(finished_at=now, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return stored == 1


def build(printout_id: int, lease: datetime, now: datetime | None = None) -> bool:
    """Build a claimed printout and store it (or its error); True when stored."""
    try:
        html, people = _html(printout_id)
        pdf = printables.pdf_from_html(html)  # outside any transaction: seconds, not ms
    except Exception as err:
        db.session.rollback()
        log.exception("printout %s could not be built", printout_id)
        error = f"{type(err).__name__}: {err}"[:2000]
        return _finish(printout_id, lease, now or utcnow(), status="failed", error=error)
    return _finish(
        printout_id, lease, now or utcnow(), status="ready", content=pdf, people=people, error=None
    )


def purge_printouts(now: datetime | None = None) -> int:
    """Delete the printouts finished more than KEEP_FOR ago; how many."""
    now = now or utcnow()
    with write_transaction():
        deleted = db.session.execute(
            sa.delete(Printout)
            .where(Printout.status.in_(("ready", "failed")), Printout.finished_at < now - KEEP_FOR)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return deleted


def build_due_printouts(now: datetime | None = None, limit: int | None = None) -> int:
    """Due work: delete the old printouts, then build the due ones one at a time (for about
    ROUND_SECONDS at most, so the worker's email keeps going out); how many were built."""
    purge_printouts(now)
    built = 0
    started = time.monotonic()
    while limit is None or built < limit:
        if time.monotonic() - started > ROUND_SECONDS:
            break
        claimed = _claim(now or utcnow())
        if claimed is None:
            break
        if build(*claimed, now=now):
            built += 1
    return built
