"""Versions that PostgreSQL pushes to each worker process (LISTEN/NOTIFY), so that a page cache
hit can know a row's version without asking the database.

A trigger in the database (one migration per use, e.g. the event's) sends a notification on a
channel in the same transaction as every change of the versions it covers; PostgreSQL delivers
it when that transaction commits, to every session listening then. Each worker process keeps
one such session, on a thread of its own (started by the first look-up after the fork, so
gunicorn's forked workers each get theirs and no request waits for it to connect), and a map
key -> version that it fills from the notifications and from the reads it had to make.

A look-up answers from the map only while nothing can have been missed:
- the listener is connected and its LISTEN was in force before the read that filled the entry
  (the entry is kept only when no notification and no reconnection happened during that read);
- nothing unread waits on its socket, and the listener is not in the middle of reading one (so
  a notification PostgreSQL has already sent is never ignored because the thread that reads it
  has not had its turn: the request reads the database instead);
- the connection answered a heartbeat within the last HEARTBEAT_LIMIT seconds (a connection
  that died without closing, a network that stopped, cannot hide missed notifications for
  longer than that);
- the trigger exists (checked at each connection; without it the map is never used).
When the connection is lost the map is dropped and every look-up reads the database until the
listener has reconnected.

The notification arrives a little after the commit (PostgreSQL signals the listening sessions
before it tells the committing client, and they write it at once; here 0.1-2 ms). So that a
request which starts after a change was answered never depends on that delay, every commit of
an ORM session (all of the app's writes) drops this process's maps at once and changes eight
bytes in shared memory (/dev/shm, a slot per database) that every process of this host
compares at each look-up: a process that finds them changed drops its maps and reads again.
A change made elsewhere (another host, psql) shows once its notification has arrived.
On other databases (SQLite) this module is not used: the caller reads every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import mmap
import os
import select
import struct
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm

log = logging.getLogger(__name__)

HEARTBEAT = 1.0  # seconds between heartbeats of an idle listener
HEARTBEAT_LIMIT = 3.0  # the map is trusted this long after the last answer from the server
IDLE_STOP = 300.0  # a listener nobody asked for this long stops when its connection fails

_MISSING: Any = object()


class _Listener:
    """One process's session listening on one channel of one database."""

    def __init__(self, owner: PushedVersions, engine: sa.Engine) -> None:
        self.owner = owner
        self.pid = os.getpid()
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        self.connect_args = (args, kwargs)
        self.versions: dict[str, int] = {}
        self.mark = _WriteMark.of(engine)
        self.seen = self.mark.read() if self.mark else b""
        self.seq = 0  # raised by every notification, every drop and every reconnection
        self.ready = False
        self.reading = False
        self.fd = -1
        self.alive_at = 0.0
        self.used_at = time.monotonic()
        self.stopped = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(
            target=self._run, name=f"listen-{owner.channel}", daemon=True
        )

    # --- the request side ---------------------------------------------------------------

    def version(self, key: str, read: Callable[[str], int | None]) -> int | None:
        if self.mark is not None and (mark := self.mark.read()) != self.seen:
            with self.lock:  # a write transaction on this host ended: forget, read again
                self.seen = mark
                self.seq += 1
                self.versions.clear()
        seq = self.seq
        self.used_at = now = time.monotonic()
        if not self.ready or now - self.alive_at > HEARTBEAT_LIMIT or self._pending():
            return read(key)
        value = self.versions.get(key, _MISSING)
        if value is not _MISSING and self.seq == seq:
            return value
        value = read(key)
        if value is not None:
            with self.lock:
                if self.ready and self.seq == seq:
                    self.versions[key] = max(value, self.versions.get(key, value))
        return value

    def _pending(self) -> bool:
        """A notification may be on its way into the map: being read, or unread on the socket
        (also true when the connection was closed: end of file is readable)."""
        if self.reading:
            return True
        try:
            return bool(select.select([self.fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def forget(self) -> None:
        with self.lock:
            self.seq += 1
            self.versions.clear()

    # --- the listener thread -------------------------------------------------------------

    def _run(self) -> None:
        pause = 0.2
        while not self.stopped:
            started = time.monotonic()
            try:
                self._listen()
            except Exception as err:  # noqa: BLE001 - any failure: drop the map, reconnect
                was_ready = self.ready
                self._drop()
                if time.monotonic() - started > 30:  # it had been connected: retry soon
                    pause = 0.2
                # Once per loss; the app's own queries report a database that stays away.
                log.log(logging.WARNING if was_ready else logging.DEBUG,
                        "listener on %s lost (%s); reading the database until it is back",
                        self.owner.channel, err)  # fmt: skip
                time.sleep(pause)
                pause = min(pause * 2, 10.0)
            else:  # stopped, or no trigger: look again in a while
                self._drop()
                if not self.stopped:
                    time.sleep(60)
            if time.monotonic() - self.used_at > IDLE_STOP:
                break
        self._drop()
        self.owner._gone(self)

    def _drop(self) -> None:
        with self.lock:
            self.ready = False
            self.seq += 1
            self.versions.clear()

    def _listen(self) -> None:
        import psycopg
        from psycopg import pq

        args, kwargs = self.connect_args
        name = f"listen {self.owner.channel}"  # pg_stat_activity shows whose session it is
        conn = psycopg.connect(*args, **{**kwargs, "autocommit": True, "application_name": name})
        try:
            conn.execute(f'LISTEN "{self.owner.channel}"')
            found = conn.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled <> 'D'",
                [list(self.owner.triggers)],
            ).fetchone()
            if found is None or found[0] != len(self.owner.triggers):
                log.warning("no trigger %s: every look-up reads the database",
                            ", ".join(self.owner.triggers))  # fmt: skip
                return
            pg = conn.pgconn
            self.fd = pg.socket
            with self.lock:
                self.seq += 1
                self.versions.clear()
                self.alive_at = time.monotonic()
                self.ready = True
            beat_at = time.monotonic() + HEARTBEAT
            while not self.stopped:
                wait = max(0.0, beat_at - time.monotonic())
                readable = select.select([self.fd], [], [], wait)[0]
                self.reading = True
                try:
                    if readable:
                        pg.consume_input()
                    else:
                        self._heartbeat(pg, pq)
                        beat_at = time.monotonic() + HEARTBEAT
                    if pg.status != pq.ConnStatus.OK:
                        raise ConnectionError("connection closed")
                    self._apply(pg)
                    self.alive_at = time.monotonic()
                finally:
                    self.reading = False
        finally:
            self.reading = False
            with contextlib.suppress(Exception):
                conn.close()

    def _heartbeat(self, pg: Any, pq: Any) -> None:
        """The session still answers, and it is the one listening (a pooler that hands out
        another server session per statement, PgBouncer's transaction mode, would not deliver
        the notifications: such a listener never counts as alive)."""
        pg.send_query(self.owner.listening_query)
        pg.flush()
        deadline = time.monotonic() + HEARTBEAT_LIMIT
        while pg.is_busy():
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError("no answer to the heartbeat")
            pg.consume_input()
        answers = []
        while (result := pg.get_result()) is not None:
            if result.status != pq.ExecStatus.TUPLES_OK:
                raise ConnectionError(pg.get_error_message())
            answers.append(result.get_value(0, 0))
        if answers != [b"1"]:
            raise ConnectionError("this session is not listening")

    def _apply(self, pg: Any) -> None:
        messages = []
        while (notification := pg.notifies()) is not None:
            messages.append(notification.extra.decode())
        if not messages:
            return
        with self.lock:
            self.seq += 1
            for message in messages:
                if message == "*":
                    self.versions.clear()
                    continue
                for line in message.split("\n"):
                    key, _, value = line.partition("\t")
                    if not value:
                        self.versions.pop(key, None)
                    else:
                        number = int(value)
                        self.versions[key] = max(number, self.versions.get(key, number))


class PushedVersions:
    """key -> version as a trigger on `channel` pushes it. The trigger's payload: lines of
    "key<TAB>version" (the key's version now) or "key<TAB>" (forget the key: look it up
    again), or "*" alone (forget every key). `triggers` names the triggers that must exist."""

    def __init__(self, channel: str, triggers: Sequence[str]) -> None:
        self.channel = channel
        self.triggers = tuple(triggers)
        self.listening_query = (
            f"SELECT count(*) FROM pg_listening_channels() AS c WHERE c = '{channel}'"
        ).encode()
        self._listeners: dict[str, _Listener] = {}  # database URL -> this process's listener
        self._lock = threading.Lock()
        _all.append(self)

    def version(self, engine: sa.Engine, key: str, read: Callable[[str], int | None]) -> int | None:
        """The key's version: from the pushed map when it can be trusted, else read(key)."""
        if engine.dialect.name != "postgresql":
            return read(key)
        listener = self._listeners.get(_name(engine))
        if listener is None or listener.pid != os.getpid():
            self._start(engine)
            return read(key)
        return listener.version(key, read)

    def listening(self, engine: sa.Engine) -> bool:
        """Whether this process's look-ups on this database answer from the map now."""
        listener = self._listeners.get(_name(engine))
        return bool(
            listener
            and listener.pid == os.getpid()
            and listener.ready
            and time.monotonic() - listener.alive_at <= HEARTBEAT_LIMIT
        )

    def _start(self, engine: sa.Engine) -> None:
        with self._lock:
            listener = self._listeners.get(_name(engine))
            if listener is not None and listener.pid == os.getpid():
                return
            listener = _Listener(self, engine)
            self._listeners[_name(engine)] = listener
        listener.thread.start()

    def _gone(self, listener: _Listener) -> None:
        with self._lock:
            for url, held in list(self._listeners.items()):
                if held is listener:
                    del self._listeners[url]

    def forget_local(self) -> None:
        """Drop this process's maps (after a write of this process: see the module's doc)."""
        for listener in list(self._listeners.values()):
            if listener.pid == os.getpid():
                listener.forget()

    def stop(self) -> None:
        """Stop this process's listeners (tests)."""
        with self._lock:
            listeners = list(self._listeners.values())
            self._listeners.clear()
        for listener in listeners:
            listener.stopped = True
            listener.forget()


_all: list[PushedVersions] = []
_names: weakref.WeakKeyDictionary[sa.Engine, str] = weakref.WeakKeyDictionary()


def _name(engine: sa.Engine) -> str:
    """The engine's database as a string, remembered per engine (a URL renders itself to hash:
    a twentieth of a hit's time)."""
    name = _names.get(engine)
    if name is None:
        name = _names[engine] = engine.url.render_as_string(hide_password=True)
    return name


class _WriteMark:
    """Eight bytes in shared memory that every commit on this host changes for its database; a
    process whose mark differs from the one it last saw drops its maps. So a request that starts
    after another request's change was answered (by any process of this host: the web workers,
    the outbox worker, a command) never waits for the notification, which arrives a little
    after the commit. One file per user (/dev/shm/motesplats-writes-UID, 4 KiB): a database's
    mark is one of its 512 slots, by a hash of its URL; two databases that share a slot only
    drop each other's maps more often."""

    SLOTS = 512
    _memory: mmap.mmap | None = None
    _marks: dict[str, _WriteMark | None] = {}
    _counter = itertools.count(1)

    def __init__(self, offset: int) -> None:
        self.start, self.end = offset, offset + 8

    @classmethod
    def _open(cls) -> mmap.mmap:
        if cls._memory is None:
            path = f"/dev/shm/motesplats-writes-{os.getuid()}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size < cls.SLOTS * 8:
                    os.ftruncate(fd, cls.SLOTS * 8)
                cls._memory = mmap.mmap(fd, cls.SLOTS * 8)
            finally:
                os.close(fd)
        return cls._memory

    @classmethod
    def of(cls, engine: sa.Engine) -> _WriteMark | None:
        name = _name(engine)
        if name not in cls._marks:
            slot = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % cls.SLOTS
            try:
                cls._open()
                cls._marks[name] = cls(slot * 8)
            except OSError as err:  # no shared memory: the notifications alone tell
                log.warning("no write mark in /dev/shm (%s)", err)
                cls._marks[name] = None
        return cls._marks[name]

    def read(self) -> bytes:
        return self._memory[self.start : self.end]  # type: ignore[index]

    def change(self) -> None:
        mark = struct.pack("II", os.getpid() & 0xFFFFFFFF, next(self._counter) & 0xFFFFFFFF)
        self._memory[self.start : self.end] = mark  # type: ignore[index]


def written(engine: sa.Engine) -> None:
    """A transaction on this engine has committed: this process's maps are dropped at once,
    and every other process of this host drops its own at its next look-up."""
    if engine.dialect.name != "postgresql":
        return
    mark = _WriteMark.of(engine)
    if mark is not None:
        mark.change()
    for pushed in _all:
        pushed.forget_local()


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _after_commit(session: sa.orm.Session) -> None:
    """Every commit of an ORM session (every write of the app goes through one) marks."""
    with contextlib.suppress(Exception):  # a session without an engine: nothing to mark
        written(session.get_bind())
