"""The database handle, the declarative base, the SQLite transaction recipe and its WAL
checkpoints."""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement

from core.prepared import Prepared, run_together

log = logging.getLogger(__name__)

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


# Tables that migrations make and no model maps (SQLite's FTS5 index of the material library
# and its shadow tables): autogenerate and the migrations test leave them alone.
UNMAPPED_TABLE_PREFIXES = ("material_search",)


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    """Alembic's include_name: every name but UNMAPPED_TABLE_PREFIXES' tables."""
    return not (type_ == "table" and name and name.startswith(UNMAPPED_TABLE_PREFIXES))


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


def _sqlite_file() -> str | None:
    """The path of the SQLite database file; None for another database or one in memory."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return os.path.abspath(url.database)


def _writer_turn() -> contextlib.AbstractContextManager[None]:
    database = _sqlite_file()
    if database is None:
        return contextlib.nullcontext()
    path = database + ".writers"
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
    session = db.session()
    # commit() with nothing begun would begin a transaction only to commit it, and mark a
    # write for the page caches (core.pushed_versions) that never happened
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        session.commit()
    session.expire_all()  # what was read before the lock is read again under it
    try:
        with _writer_turn():
            token = _immediate.set(True)
            try:
                yield
            except BaseException:
                db.session.rollback()
                raise
            else:
                db.session.rollback()  # ends a block that returned without committing
            finally:
                _immediate.reset(token)
    finally:
        _checkpoint_if_due()  # after the writers' turn is handed on


def _sqlite_begin_mode() -> str:
    return "BEGIN IMMEDIATE" if _immediate.get() else "BEGIN"


# --- small reads outside any transaction ------------------------------------------------------
#
# The page cache reads an event's version on every hit. A pooled connection costs a checkout, a
# BEGIN and a ROLLBACK around that one SELECT (about 0.1 ms of CPU, and a round trip more on
# PostgreSQL); a connection this thread keeps in autocommit costs none of them, and each read
# still sees the latest commit. Dropped when its engine is disposed or a read fails.

_held: dict[tuple[int, int], sa.Connection] = {}  # (engine id, thread id) -> connection
_held_lock = threading.Lock()


def _drop_held(engine: sa.Engine) -> None:
    with _held_lock:
        gone = [key for key in _held if key[0] == id(engine)]
        connections = [_held.pop(key) for key in gone]
    for connection in connections:
        with contextlib.suppress(Exception):
            connection.close()


def read_now(statement: sa.Executable, params: dict | None = None) -> sa.Result:
    """Run a small read on a connection this thread keeps for it, in autocommit (no pool
    checkout, no BEGIN or ROLLBACK); it sees what is committed now."""
    connection = held_connection()
    try:
        return connection.execute(statement, params or {})
    except sa.exc.DBAPIError:
        _forget_held(connection)
        raise


def held_connection() -> sa.Connection:
    """The connection read_now() uses (this thread's, in autocommit), for Prepared reads."""
    engine = db.engine
    key = (id(engine), threading.get_ident())
    connection = _held.get(key)
    if connection is None or connection.closed or connection.invalidated:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if not sa.event.contains(engine, "engine_disposed", _drop_held):
            sa.event.listen(engine, "engine_disposed", _drop_held)
        with _held_lock:
            _held[key] = connection
    return connection


def read_prepared(statement: Prepared, params: Mapping[str, Any]) -> list[Any]:
    """A Prepared read on held_connection(): sees what is committed now."""
    return read_together([(statement, params)])[0]


def read_together(statements: list[tuple[Prepared, Mapping[str, Any]]]) -> list[list[Any]]:
    """Prepared reads on held_connection() with run_together(): one round trip on PostgreSQL,
    each seeing what is committed when it runs. The connection is dropped when one fails."""
    connection = held_connection()
    try:
        return run_together(connection, statements)
    except Exception:
        _forget_held(connection)
        raise


def _forget_held(connection: sa.Connection) -> None:
    with _held_lock:
        _held.pop((id(db.engine), threading.get_ident()), None)
    with contextlib.suppress(Exception):
        connection.invalidate()
    with contextlib.suppress(Exception):
        connection.close()


def read_row_now(statement: sa.Executable, postgresql: str, params: dict) -> tuple | None:
    """read_now's first row; on PostgreSQL `postgresql` (the same query as text, with
    psycopg's %(name)s placeholders) runs as a prepared statement on that connection's psycopg
    connection itself: 22-26 µs of client CPU against 135-145 µs through SQLAlchemy's layers
    (README, "The cached page on PostgreSQL")."""
    if db.engine.dialect.name != "postgresql":
        row = read_now(statement, params).first()
        return tuple(row) if row is not None else None
    connection = held_connection()
    try:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            # What counts statements (the bench's X-Statements, the tests) sees this one too.
            for listener in connection.dispatch.before_cursor_execute:
                listener(connection, cursor, postgresql, params, None, False)
            cursor.execute(postgresql, params, prepare=True)
            return cursor.fetchone()
        finally:
            cursor.close()
    except Exception:
        _forget_held(connection)
        raise


def read_for_page(statement: sa.Executable, params: dict | None = None) -> sa.Result:
    """A public page's read: on the request's transaction when it has one (so it sees what the
    request wrote), else through read_now, which spares a page that only reads the pool
    checkout, BEGIN and ROLLBACK around its statements (about 0.3 ms of CPU a request). Each
    statement then sees the latest commit; a page made of several can show an edit that landed
    between two of them in part, until its next render."""
    if db.session().in_transaction():
        return db.session.connection().execute(statement, params or {})
    return read_now(statement, params)


# --- WAL checkpoints -----------------------------------------------------------------------
#
# SQLite copies the write-ahead log back into the database file (a checkpoint) by itself in the
# COMMIT that takes the WAL past 1000 pages: inside a writer's turn, where it stalled every
# other writer for 5-40 ms. App connections turn that off (wal_autocheckpoint=0); the outbox
# worker checkpoints instead, every round (checkpoint_wal). So that the WAL cannot grow without
# bound when no worker runs, a write transaction that finds the WAL file longer than
# SQLITE_WAL_CHECKPOINT_PAGES pages checkpoints after handing on its turn. The file's length
# tells, because journal_size_limit makes the first commit after a complete checkpoint cut the
# file back to that many pages: it is longer only when that many were written since.
# (Reading the WAL index in the -shm file would be exact, but opening and closing that file in
# a process drops the POSIX locks SQLite holds on it there: the other processes then think it
# unused and reset it under their mappings.)

_wal_limits: dict[str, int] = {}  # database file -> WAL length in bytes that calls for one


def checkpoint_wal() -> None:
    """Copy the SQLite WAL into the database as far as readers allow (PASSIVE: it waits for no
    reader or writer), on a connection of its own; nothing on other databases."""
    if _sqlite_file() is None:
        return
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        cursor.close()
    except sqlite3.Error as err:  # the next one copies what this one could not
        log.warning("WAL checkpoint failed: %s", err)
    finally:
        connection.close()


def _checkpoint_if_due() -> None:
    database = _sqlite_file()
    limit = _wal_limits.get(database) if database else None
    if not limit:
        return
    try:
        length = os.stat(database + "-wal").st_size
    except FileNotFoundError:
        return
    if length > limit:
        checkpoint_wal()


def install_sqlite_recipe(engine: sa.Engine, wal_checkpoint_pages: int | None = None) -> None:
    """SQLAlchemy's recipe for real transactions with pysqlite, plus WAL and a busy timeout;
    no checkpoints in a COMMIT, and one after a write once the WAL has `wal_checkpoint_pages`
    pages (None or 0: only the worker checkpoints; see above)."""
    database = engine.url.database
    path = os.path.abspath(database) if database and database != ":memory:" else None

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        # SQLite's own lower() folds ASCII only; folded() below calls this one there.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
        if path and wal_checkpoint_pages:
            page = cursor.execute("PRAGMA page_size").fetchone()[0]
            limit = 32 + int(wal_checkpoint_pages) * (page + 24)  # the header, then the frames
            cursor.execute(f"PRAGMA journal_size_limit={limit}")
            _wal_limits[path] = limit
        elif path:
            _wal_limits.pop(path, None)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":  # read_now()
            conn.exec_driver_sql(_sqlite_begin_mode())


def _casefold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class folded(FunctionElement):  # noqa: N801 (an SQL function, named as one)
    """lower() of a text, every letter folded (Örebro as örebro) on both databases: SQLite's
    lower() folds ASCII letters only, so there it is the Python function registered on each
    connection. Compare with a needle made with str.lower()."""

    type = sa.String()
    inherit_cache = True


@compiles(folded)
def _folded(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"casefold({compiler.process(element.clauses, **kw)})"
