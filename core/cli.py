"""Commands of core: create-organiser, create-api-token, worker. The features' own commands
(demo-data, privacy purge) are added by create_app, since core imports no feature."""

from __future__ import annotations

import click
from flask import Flask

from core.auth import create_api_token, create_organiser, find_organiser
from core.errors import ValidationError


def register_commands(app: Flask) -> None:
    @app.cli.command("create-organiser")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--password", required=True)
    @click.option("--admin", is_flag=True, help="Manages organisers and every event.")
    def create_organiser_command(email: str, name: str, password: str, admin: bool) -> None:
        """Create an organiser account."""
        try:
            organiser = create_organiser(email, name, password, admin)
        except ValidationError as err:
            raise click.ClickException("; ".join(str(m) for m in err.fields.values())) from err
        click.echo(f"Created {organiser.role} {organiser.email}")

    @app.cli.command("create-api-token")
    @click.argument("email")
    def create_api_token_command(email: str) -> None:
        """Print a new API token for an organiser (only its hash is stored)."""
        organiser = find_organiser(email)
        if organiser is None:
            raise click.ClickException(f"No organiser with email {email}")
        click.echo(create_api_token(organiser))

    from core.worker import worker_command

    app.cli.add_command(worker_command)
