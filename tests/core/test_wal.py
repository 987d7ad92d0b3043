"""SQLite's WAL checkpoints stay out of the writers' turn: app connections never checkpoint in
a COMMIT, the outbox worker does, and a write that finds the WAL long checkpoints after handing
on its turn, so the WAL stays bounded when no worker runs."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa

import core.db
import core.worker
from core.db import db, write_transaction
from core.models import Organiser

PAGE = 4096 + 24  # a WAL frame


@pytest.fixture
def sqlite_file(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    return database_url.removeprefix("sqlite:///")


def _write(n: int) -> None:
    """n write transactions, each a row of its own (a few pages of WAL)."""
    start = db.session.scalar(sa.select(sa.func.count()).select_from(Organiser))
    for i in range(start, start + n):
        with write_transaction():
            db.session.add(
                Organiser(email=f"o{i}@example.se", name="O" * 200, password_hash="x" * 200)
            )
            db.session.commit()


def _wal_length(database: str) -> int:
    return os.path.getsize(database + "-wal")


def test_app_connections_do_not_checkpoint_in_a_commit(make_app, sqlite_file):
    with make_app(SQLITE_WAL_CHECKPOINT_PAGES=20).app_context():
        pragma = {
            name: db.session.execute(sa.text(f"PRAGMA {name}")).scalar()
            for name in ("wal_autocheckpoint", "journal_size_limit", "journal_mode")
        }
        db.session.remove()
    assert pragma == {
        "wal_autocheckpoint": 0,
        "journal_size_limit": 32 + 20 * PAGE,
        "journal_mode": "wal",
    }


def test_a_long_wal_is_checkpointed_after_the_writers_turn(make_app, sqlite_file, monkeypatch):
    app = make_app(SQLITE_WAL_CHECKPOINT_PAGES=20)
    turn_held: list[bool] = []
    checkpoint = core.db.checkpoint_wal

    def watched() -> None:
        turn_held.append(core.db._immediate.get())
        checkpoint()

    monkeypatch.setattr(core.db, "checkpoint_wal", watched)
    with app.app_context():
        longest = 0
        for _ in range(80):
            _write(1)
            longest = max(longest, _wal_length(sqlite_file))
        db.session.remove()
    assert turn_held, "never checkpointed"
    assert not any(turn_held)  # always after the writers' turn was handed on
    assert longest <= 32 + (20 + 10) * PAGE  # past the limit by one transaction at most


def test_without_the_limit_only_the_worker_checkpoints(make_app, sqlite_file, monkeypatch):
    app = make_app(SQLITE_WAL_CHECKPOINT_PAGES=0)
    calls: list[str] = []
    checkpoint = core.worker.checkpoint_wal

    def watched() -> None:
        calls.append("checkpoint")
        checkpoint()

    monkeypatch.setattr(core.worker, "checkpoint_wal", watched)
    with app.app_context():
        _write(80)
        assert _wal_length(sqlite_file) > 32 + 60 * PAGE  # nothing copied it back
        db.session.remove()
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    assert calls == ["checkpoint"]
    with sqlite3.connect(sqlite_file) as conn:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames == copied
