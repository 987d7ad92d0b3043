"""`flask backup` and `flask restore` (core/backup.py says what a backup holds)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from core.backup import BackupError, backup, describe, prune, restore


@click.command("backup")
@click.argument("parent", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="Then delete all but the newest KEEP backups in PARENT.",
)
@with_appcontext
def backup_command(parent: Path, keep: int | None) -> None:
    """Back up the database and UPLOAD_DIR into a new directory under PARENT (named by the
    time, UTC) and print its path. Safe while the app and the workers run."""
    try:
        directory, manifest = backup(parent)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(str(directory))
    click.echo(json.dumps(describe(manifest)), err=True)
    if keep:
        for old in prune(parent, keep):
            click.echo(f"Deleted the old backup {old}", err=True)


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(directory: Path) -> None:
    """Restore the backup in DIRECTORY into the configured database, which must be new and
    empty (a new SQLite file; PostgreSQL: a database made with createdb), and into an empty
    UPLOAD_DIR. Then point the app at them."""
    try:
        manifest = restore(directory)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"Restored the {manifest.database} database of {manifest.created_at} (revision "
        f"{manifest.alembic_revision}) and {manifest.files} files."
    )
