"""Backup and restore on the database of the run (SQLite by default, PostgreSQL with
TEST_DATABASE_URL): made while a thread keeps registering, restored into a fresh database and
an empty upload folder, then served by an app started on them."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.auth import create_organiser
from core.db import db
from events.models import Event
from events.services import create_event
from materials import services as materials
from participants import services
from participants.models import Registration
from tests.conftest import event_data, need
from tests.materials.helpers import PDF, material_data
from tests.participants.helpers import person

CONTENT = PDF + b"% the material's own bytes " + uuid.uuid4().hex.encode()


@pytest.fixture
def fresh_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same kind as the run's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'motesplats.sqlite'}"
        return
    need(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump/pg_restore missing")
    admin = sa.create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    name = f"motesplats_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _keep_registering(app, slug: str, stop: threading.Event, made: list[str]) -> None:
    """Another writer, as the app's requests would be: one registration after another."""
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        n = 1000
        while not stop.is_set():
            n += 1
            registered = services.register(event, person(n))
            made.append(registered.token)
        db.session.remove()


def test_backup_while_registering_then_restore_serves_the_same(
    make_app, database_url, fresh_target, tmp_path
):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    backups = tmp_path / "backups"
    with app.app_context():
        organiser = create_organiser("anna@upphandlingsmyndigheten.se", "Anna", "secret-pass")
        event = create_event(organiser, event_data(capacity=5000))
        slug, title = event.slug, event.title
        first = services.register(event, person(1, name="Karin Backupsson"))
        material = materials.create_material(
            organiser, material_data(), materials.Upload(io.BytesIO(CONTENT), "Avtal.pdf")
        )
        material_id = material.id
        db.session.commit()
        db.session.remove()

        stop, made = threading.Event(), []
        writer = threading.Thread(target=_keep_registering, args=(app, slug, stop, made))
        writer.start()
        try:
            while len(made) < 5 and writer.is_alive():
                threading.Event().wait(0.01)
            before = len(made)
            result = app.test_cli_runner().invoke(args=["backup", str(backups)])
            during = len(made) - before
            while len(made) < before + during + 5 and writer.is_alive():
                threading.Event().wait(0.01)
        finally:
            stop.set()
            writer.join(timeout=30)
        assert result.exit_code == 0, result.output
        assert writer.is_alive() is False and len(made) >= before + 5
        directory = Path(result.stdout.strip())
        total = 1 + len(made)
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == total

    manifest = json.loads((directory / "manifest.json").read_text())
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert manifest["database"] == kind
    assert manifest["files"] == 1 and manifest["files_bytes"] == len(CONTENT)
    assert manifest["alembic_revision"]
    assert manifest["created_at"].endswith("Z")
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        ["manifest.json", "uploads.tar", manifest["database_file"]]
    )

    restored_uploads = tmp_path / "restored-uploads"
    restored = make_app(SQLALCHEMY_DATABASE_URI=fresh_target, UPLOAD_DIR=str(restored_uploads))
    result = restored.test_cli_runner().invoke(args=["restore", str(directory)])
    assert result.exit_code == 0, result.output
    assert "and 1 files" in result.output

    with restored.app_context():
        tokens = set(db.session.scalars(sa.select(Registration.token)))
        # One moment of the writer's work: all of what came before the backup, none after.
        assert {first.token, *made[:before]} <= tokens <= {first.token, *made}
        assert len(tokens) < total
        check = restored.test_cli_runner().invoke(args=["seats", "check"])
        assert "Every kept seat count equals the recount." in check.output, check.output
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert revision == manifest["alembic_revision"]
        db.session.remove()

    client = restored.test_client()
    page = client.get(f"/events/{slug}?lang=en")
    assert page.status_code == 200 and title in page.get_data(as_text=True)
    manage = client.get(f"/r/{first.token}")
    assert manage.status_code == 200 and "Karin Backupsson" in manage.get_data(as_text=True)
    download = client.get(f"/materials/{material_id}/download")
    assert download.status_code == 200 and download.data == CONTENT


def test_restore_refuses_a_database_or_folder_in_use(make_app, fresh_target, tmp_path):
    uploads = tmp_path / "uploads"
    app = make_app(UPLOAD_DIR=str(uploads))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    directory = result.stdout.strip()
    # Into the live database itself: refused.
    result = runner.invoke(args=["restore", directory])
    assert result.exit_code != 0 and "holds tables already" in result.output
    # Into a fresh database but a folder with files in it: refused before the database is
    # written, so nothing is half-restored.
    used = tmp_path / "used-uploads"
    used.mkdir()
    (used / "someone-elses-file").write_bytes(b"x")
    other = make_app(SQLALCHEMY_DATABASE_URI=fresh_target, UPLOAD_DIR=str(used))
    result = other.test_cli_runner().invoke(args=["restore", directory])
    assert result.exit_code != 0 and "is not empty" in result.output
    if fresh_target.startswith("sqlite"):
        assert not Path(fresh_target.removeprefix("sqlite:///")).exists()
    else:
        with other.app_context():
            assert sa.inspect(db.engine).get_table_names() == []
            db.engine.dispose()


def test_a_backup_of_one_kind_is_not_restored_into_the_other(make_app, tmp_path):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    directory = Path(result.stdout.strip())
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["database"] = "postgresql" if manifest["database"] == "sqlite" else "sqlite"
    (directory / "manifest.json").write_text(json.dumps(manifest))
    result = app.test_cli_runner().invoke(args=["restore", str(directory)])
    assert result.exit_code != 0 and "the app uses" in result.output


def test_keep_deletes_the_oldest_backups_only(make_app, tmp_path):
    from datetime import UTC, datetime, timedelta

    from core.backup import backup, prune

    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    parent = tmp_path / "b"
    with app.app_context():
        start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
        made = [backup(parent, start + timedelta(days=d))[0] for d in range(4)]
    (parent / ".motesplats-20261206T030000Z.partial").mkdir()  # a half-made one: not counted
    (parent / "notes").mkdir()  # not a backup: never deleted
    deleted = prune(parent, keep=2)
    assert deleted == made[:2]
    assert sorted(p.name for p in parent.iterdir()) == sorted(
        [".motesplats-20261206T030000Z.partial", "notes", made[2].name, made[3].name]
    )
