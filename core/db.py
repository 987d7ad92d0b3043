"""The database handle, the declarative base, and the SQLite transaction recipe."""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep their values after commit, so a response can be built from what was just
# written without reading it back; write_transaction() expires everything at its start.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Set inside write_transaction(): the next transaction on SQLite takes the write lock up front.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)


class _WriterQueue:
    """Writers to one SQLite file wait here, in the kernel's queue, for their turn.

    SQLite's own busy handler polls with growing sleeps, so under load a writer may lose the
    race again and again (we measured 3 s tails). An exclusive flock on a lock file beside the
    database hands the turn to the next waiter as soon as it is released; a thread lock does
    the same between threads of one process, which share the flock."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.threads = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.threads:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_queues: dict[str, _WriterQueue] = {}
_queues_lock = threading.Lock()


def _writer_turn() -> contextlib.AbstractContextManager[None]:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return contextlib.nullcontext()
    path = os.path.abspath(url.database) + ".writers"
    with _queues_lock:
        queue = _queues.get(path) or _queues.setdefault(path, _WriterQueue(path))
    return queue.turn()


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block in a transaction meant to write, after committing what the session holds.

    On SQLite it begins with BEGIN IMMEDIATE, so a check-then-insert cannot interleave with
    another process and a read transaction never has to be upgraded (which SQLite may refuse);
    writers queue for their turn first (_WriterQueue). On PostgreSQL callers lock rows with
    SELECT ... FOR UPDATE inside it. Every service that writes runs in one (also as a
    decorator: ``@write_transaction()``); nested use joins the outer transaction. Other
    transactions are plain reads and take no write lock."""
    if _immediate.get():
        yield
        return
    db.session.commit()
    db.session.expire_all()  # what was read before the lock is read again under it
    with _writer_turn():
        token = _immediate.set(True)
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        else:
            db.session.rollback()  # ends a block that returned without committing; else a no-op
        finally:
            _immediate.reset(token)


def _sqlite_begin_mode() -> str:
    return "BEGIN IMMEDIATE" if _immediate.get() else "BEGIN"


def install_sqlite_recipe(engine: sa.Engine) -> None:
    """SQLAlchemy's recipe for real transactions with pysqlite, plus WAL and a busy timeout."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(_sqlite_begin_mode())
