"""The email outbox: rows written in the caller's transaction, sent by the worker after commit."""

import click


@click.command("worker")
def worker_command() -> None:
    """Send queued email."""
