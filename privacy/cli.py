"""flask privacy purge [--dry-run]: the retention purge by hand (the worker runs it daily)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import utcnow
from privacy.purge import EventPurge, PurgeReport, purge


@click.group("privacy")
def privacy_command() -> None:
    """Personal data: what the retention periods say must go."""


def _event_line(row: EventPurge) -> str:
    parts = []
    if row.needs:
        parts.append(f"needs of {row.needs} registrations")
    if row.registrations:
        parts.append(f"{row.registrations} registrations anonymised")
    if row.survey_invitations:
        parts.append(f"{row.survey_invitations} survey invitations anonymised")
    if row.campaign_invitations:
        parts.append(f"{row.campaign_invitations} campaign invitations anonymised")
    return f"  {row.slug}: " + "; ".join(parts)


def print_report(report: PurgeReport) -> None:
    """Per event and kind of data what went, or with --dry-run would go."""
    at = report.now.strftime("%Y-%m-%d %H:%M UTC")
    if report.dry_run:
        click.echo(f"Dry run at {at}: nothing was changed. This would go:")
    else:
        click.echo(f"Purge at {at}. This went:")
    if not report.total:
        click.echo("  Nothing: no data is past its retention period.")
        return
    for row in report.events:
        click.echo(_event_line(row))
    click.echo(f"  Outbox: the text and recipient of {report.outbox_messages} emails")
    click.echo(f"  Audit log: {report.audit_entries} entries")


@privacy_command.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would go, and change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete needs, anonymise registrations, blank old emails and drop old audit entries
    past their retention periods (RETENTION_* settings, or an event's own)."""
    print_report(purge(utcnow(), dry_run=dry_run))
