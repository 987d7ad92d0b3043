"""The outbox worker (`flask --app app worker`): each round it runs the due work features
registered (scheduled distributions, survey invitations, mailings, reminders: each queues
what is due now into the outbox), then sends what is due (core.outbox_sending.send_batch), and on
SQLite checkpoints the WAL, here and not in a request (core/db.py).
"""

from __future__ import annotations

import logging
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from core.db import checkpoint_wal, db
from core.mail_delivery import outbox_dir
from core.outbox_sending import send_batch, send_due

log = logging.getLogger(__name__)


# --- due work: what features queue on the worker's rounds -----------------------------------

# Callables the worker runs at the start of every round, before it sends: each queues what is
# due now (materials' scheduled distributions) and returns how much it queued. Features add
# theirs with register_due_work; core knows none of them.
DUE_WORK: list[Callable[[], Any]] = []


def register_due_work(work: Callable[[], Any]) -> None:
    if work not in DUE_WORK:
        DUE_WORK.append(work)


def run_due_work() -> None:
    """Run each registered piece of due work; one that fails is logged and the rest go on."""
    for work in list(DUE_WORK):
        try:
            work()
        except Exception:
            db.session.rollback()
            log.exception("outbox worker: due work %s failed", getattr(work, "__name__", work))


# --- the command ----------------------------------------------------------------------------


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Send queued email (to MAIL_SERVER, or as .eml files when none is set)."""
    # Flask-Mail gives smtplib no timeout; without one a hung mail server stalls the worker.
    socket.setdefaulttimeout(float(current_app.config["MAIL_TIMEOUT"]))
    target = current_app.config.get("MAIL_SERVER")
    where = f"{target}:{current_app.config['MAIL_PORT']}" if target else str(outbox_dir())
    if once:
        run_due_work()
        sent = send_due()
        checkpoint_wal()
        click.echo(f"Sent {sent} messages to {where}.")
        return

    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("outbox worker sending to %s, every %g s when idle", where, interval)
    batch_size = int(current_app.config["OUTBOX_BATCH_SIZE"])
    while not stopping:
        run_due_work()
        try:
            claimed, sent = send_batch(batch_size)
        except sa.exc.SQLAlchemyError as err:  # the database away for a moment
            db.session.rollback()
            # The driver's first line, not SQLAlchemy's text, which quotes the statement's
            # parameters (addresses, tokens).
            reason = str(getattr(err, "orig", None) or "").strip().splitlines()[:1]
            log.error(
                "outbox worker: database error, retrying: %s %s",
                type(err).__name__, reason[0] if reason else "",
            )  # fmt: skip
            claimed = 0
        else:
            if sent:
                log.info(
                    "outbox worker sent %s of %s messages", sent, claimed,
                    extra={"claimed": claimed, "sent": sent},
                )  # fmt: skip
            checkpoint_wal()  # SQLite: here, not in a request (core/db.py)
        if claimed < batch_size:
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, interval))
    db.session.remove()
