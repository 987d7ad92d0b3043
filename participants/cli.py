"""flask erase-needs: the data-protection clean-up to run daily (cron or a systemd timer)."""

import click

from participants.services import erase_needs_of_past_events


@click.command("erase-needs")
def erase_needs_command() -> None:
    """Delete dietary and accessibility needs of events that have ended."""
    click.echo(f"Erased the needs of {erase_needs_of_past_events()} registrations.")
