"""Backup and restore of the database and the uploaded files (`flask backup`, `flask restore`).

A backup is a directory of three files:

    motesplats-20261203T091500Z/
        database.sqlite   SQLite: a copy made with the online backup API
        database.dump     PostgreSQL: pg_dump's custom format (-Fc), for pg_restore
        uploads.tar       every file of UPLOAD_DIR (content-addressed, materials/storage.py)
        manifest.json     {"created_at", "database", "alembic_revision", "files", ...}

- SQLite: `sqlite3.Connection.backup` copies every page in one step under one read
  transaction, so the copy is the database as it was at one moment while the app goes on
  writing (in WAL mode, readers do not block the writers). A file copy (cp) would not be.
- PostgreSQL: `pg_dump -Fc` reads in one repeatable-read snapshot; the dump is restored by
  `pg_restore` into a new, empty database. pg_dump refuses a server newer than itself: use the
  client tools of the server's major version (PG_BIN_DIR names their folder).
- The database is copied first, then the files: a file is never changed once stored (its
  name is its content's hash), and one added after the copy is simply extra. Only a file
  deleted between the two (a material deleted in that second) can be missing; the manifest
  counts the files so a restore can be checked.

Restore goes into a fresh target only (a database with no tables, an empty UPLOAD_DIR), so it
can never mix two databases or overwrite the live one by mistake.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.db import db

SQLITE_FILE = "database.sqlite"
PG_FILE = "database.dump"
UPLOADS_FILE = "uploads.tar"
MANIFEST_FILE = "manifest.json"
NAME_PREFIX = "motesplats-"


class BackupError(Exception):
    """A backup or restore that cannot be done as asked (the message says why)."""


@dataclass
class Manifest:
    created_at: str  # ISO 8601, UTC
    database: str  # "sqlite" or "postgresql"
    alembic_revision: str | None  # the schema the dump holds
    files: int  # uploaded files in uploads.tar
    files_bytes: int
    database_file: str

    def write(self, directory: Path) -> None:
        (directory / MANIFEST_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_FILE
        if not path.is_file():
            raise BackupError(f"{directory} is not a backup: no {MANIFEST_FILE}")
        return cls(**json.loads(path.read_text()))


# --- where things are -----------------------------------------------------------------------


def upload_dir() -> Path:
    """UPLOAD_DIR, as materials.storage reads it (core cannot import that feature)."""
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def database_url() -> sa.engine.URL:
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_tool(name: str) -> str:
    folder = current_app.config.get("PG_BIN_DIR")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).is_file():
        raise BackupError(f"{name} not found (install PostgreSQL's client tools or set PG_BIN_DIR)")
    return found


def _libpq(url: sa.engine.URL) -> tuple[str, dict[str, str]]:
    """The libpq connection URI for pg_dump/pg_restore, and an environment that carries the
    password (never on the command line, where any user's `ps` would show it)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _major(version_text: str) -> int:
    """15 from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    for word in version_text.split():
        if word[:1].isdigit():
            return int(word.split(".")[0])
    raise BackupError(f"cannot read a version from {version_text!r}")


def _check_pg_version(tool: str) -> None:
    """pg_dump cannot dump a server newer than itself: say so before it half-runs."""
    client = _major(subprocess.run([tool, "--version"], capture_output=True, text=True).stdout)
    server = int(db.session.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    db.session.rollback()
    if client < server:
        raise BackupError(
            f"{Path(tool).name} is version {client}, the server {server}: use the client tools "
            f"of PostgreSQL {server} (PG_BIN_DIR)"
        )


def alembic_revision() -> str | None:
    try:
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError:
        revision = None
    db.session.rollback()
    return revision


# --- backup ---------------------------------------------------------------------------------


def _backup_sqlite(url: sa.engine.URL, target: Path) -> None:
    source = sqlite3.connect(sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)  # every page in one step: one consistent moment
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy fails SQLite's integrity check: {check}")
    finally:
        copy.close()
        source.close()


def _backup_postgresql(url: sa.engine.URL, target: Path) -> None:
    tool = _pg_tool("pg_dump")
    _check_pg_version(tool)
    uri, env = _libpq(url)
    done = subprocess.run(
        [tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", uri],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _pack_uploads(source: Path, target: Path) -> tuple[int, int]:
    """Every stored file of UPLOAD_DIR into a tar (no temporary uploads: names that start
    with a dot); (files, bytes)."""
    count = size = 0
    with tarfile.open(target, "w") as archive:
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                relative = path.relative_to(source)
                if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                    continue
                try:
                    with open(path, "rb") as content:
                        info = archive.gettarinfo(arcname=str(relative), fileobj=content)
                        archive.addfile(info, content)
                except FileNotFoundError:  # deleted meanwhile (a material deleted)
                    continue
                count += 1
                size += info.size
    return count, size


def backup(parent: Path, now: datetime | None = None) -> tuple[Path, Manifest]:
    """Back up the database and the uploads into a new directory under `parent`, named by
    the time (UTC); the directory and its manifest."""
    now = now or datetime.now(UTC)
    url = database_url()
    kind = url.get_backend_name()
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {kind} database")
    parent.mkdir(parents=True, exist_ok=True)
    directory = parent / f"{NAME_PREFIX}{now:%Y%m%dT%H%M%SZ}"
    # Written under a dotted name and renamed when complete: a half-made backup is never
    # taken for one (by restore, or by --keep).
    partial = parent / f".{directory.name}.partial"
    if directory.exists() or partial.exists():
        raise BackupError(f"{directory} exists already")
    partial.mkdir()
    try:
        revision = alembic_revision()
        if kind == "sqlite":
            database_file = SQLITE_FILE
            _backup_sqlite(url, partial / database_file)
        else:
            database_file = PG_FILE
            _backup_postgresql(url, partial / database_file)
        files, size = _pack_uploads(upload_dir(), partial / UPLOADS_FILE)
        manifest = Manifest(
            created_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            database=kind,
            alembic_revision=revision,
            files=files,
            files_bytes=size,
            database_file=database_file,
        )
        manifest.write(partial)
        partial.rename(directory)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return directory, manifest


def prune(parent: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups under `parent`; those deleted."""
    found = sorted(
        p for p in parent.glob(f"{NAME_PREFIX}*") if p.is_dir() and (p / MANIFEST_FILE).is_file()
    )
    old = found[: max(len(found) - keep, 0)]
    for path in old:
        shutil.rmtree(path)
    return old


# --- restore --------------------------------------------------------------------------------


def _tables(url: sa.engine.URL) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _restore_sqlite(source: Path, url: sa.engine.URL) -> None:
    target = sqlite_path(url)
    if target.exists() and target.stat().st_size and _tables(url):
        raise BackupError(f"{target} holds tables already: restore into a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = sqlite3.connect(source)
    into = sqlite3.connect(target)
    try:
        with into:
            copy.backup(into)
        into.execute("PRAGMA journal_mode=WAL")  # as the app runs it (core/db.py)
    finally:
        into.close()
        copy.close()


def _restore_postgresql(source: Path, url: sa.engine.URL) -> None:
    tables = _tables(url)  # also proves the database exists and answers
    if tables:
        raise BackupError(
            f"database {url.database} holds tables already: restore into a new, empty one "
            f"(createdb NAME)"
        )
    tool = _pg_tool("pg_restore")
    uri, env = _libpq(url)
    done = subprocess.run(
        [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={uri}", str(source)],
        env=env,
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _unpack_uploads(source: Path, target: Path) -> int:
    if target.is_dir() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: restore the files into an empty UPLOAD_DIR")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        archive.extractall(target, members=members, filter="data")  # no paths outside target
    return len(members)


def restore(directory: Path) -> Manifest:
    """Restore a backup into the app's configured database (new and empty: a new SQLite
    file, or a new PostgreSQL database) and its UPLOAD_DIR (empty)."""
    manifest = Manifest.read(directory)
    url = database_url()
    kind = url.get_backend_name()
    if kind != manifest.database:
        raise BackupError(f"the backup holds a {manifest.database} database, the app uses {kind}")
    uploads = upload_dir()
    if uploads.is_dir() and any(uploads.iterdir()):  # checked first: nothing half-restored
        raise BackupError(f"{uploads} is not empty: restore the files into an empty UPLOAD_DIR")
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds the target while it is written
    if kind == "sqlite":
        _restore_sqlite(directory / manifest.database_file, url)
    else:
        _restore_postgresql(directory / manifest.database_file, url)
    files = _unpack_uploads(directory / UPLOADS_FILE, uploads)
    if files != manifest.files:
        raise BackupError(f"{files} files restored, the manifest counts {manifest.files}")
    return manifest


def describe(manifest: Manifest) -> dict[str, Any]:
    return asdict(manifest)
