"""The flask commands an administrator uses, run through Click as on the command line."""

import sqlalchemy as sa

from core.auth import organiser_from_token
from core.db import db
from core.models import ApiToken, AuditEntry, Organiser
from events.models import Event


def test_create_organiser_and_api_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-organiser", "Maja@Stockholm.se", "--name", "Maja", "--password", "pw-123456"]
    )
    assert result.exit_code == 0, result.output
    organiser = db.session.scalar(
        sa.select(Organiser).where(Organiser.email == "maja@stockholm.se")
    )
    assert organiser.role == "organiser"

    result = runner.invoke(args=["create-api-token", "maja@stockholm.se"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert token not in stored  # only a hash is kept
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        assert organiser_from_token().email == "maja@stockholm.se"


def test_admin_flag_and_duplicate_refused(app):
    runner = app.test_cli_runner()
    args = ["create-organiser", "a@b.se", "--name", "A", "--password", "pw-123456", "--admin"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "finns redan" in again.output  # Swedish, the default
    assert runner.invoke(args=["create-api-token", "nobody@b.se"]).exit_code != 0


def test_demo_data_only_into_an_empty_database(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-data", "--if-empty"]).exit_code == 0
    events = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    assert events >= 5
    assert runner.invoke(args=["demo-data", "--if-empty"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == events


def test_the_demos_people_are_added_by_its_organiser_in_the_audit_log(app):
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    added = db.session.execute(
        sa.select(AuditEntry.organiser_name, sa.func.count())
        .where(AuditEntry.action == "registration_added")
        .group_by(AuditEntry.organiser_name)
    ).all()
    assert added and [name for name, _count in added] == ["Demo Admin"]
