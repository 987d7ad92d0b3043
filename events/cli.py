"""flask demo-data."""

import click


@click.command("demo-data")
def demo_data_command() -> None:
    """Load realistic demo events into an empty database."""
