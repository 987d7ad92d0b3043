"""seats kept, not counted: confirmed_count on event, event_target_group and event_session

The confirmed seats of an event, of each of its target groups and of each session are kept
on the row they limit (participants.seats.apply changes them under the event's lock), so a
registration no longer counts rows. Filled here from the registrations as they are;
`flask --app app seats check` recounts them at any time.

Each column is NOT NULL DEFAULT 0 with CHECK (confirmed_count >= 0). There is no check against
the capacity or quota: an organiser may lower either below what is already taken.

On SQLite the column and its CHECK are added by one ALTER TABLE ... ADD COLUMN: a CHECK added
afterwards would make Alembic rebuild the table, and dropping the old `event` table with
foreign keys on would cascade to every registration.

Revision ID: 59a43e2b6a2e
Revises: 3b8f1d2a9c47
Create Date: 2026-12-01 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "59a43e2b6a2e"
down_revision = "3b8f1d2a9c47"
branch_labels = None
depends_on = None

TABLES = ("event", "event_target_group", "event_session")

# The confirmed registrations each row limits, counted once.
FILL = {
    "event": (
        "UPDATE event SET confirmed_count = (SELECT count(*) FROM registration r "
        "WHERE r.event_id = event.id AND r.status = 'confirmed')"
    ),
    "event_target_group": (
        "UPDATE event_target_group SET confirmed_count = (SELECT count(*) FROM registration r "
        "WHERE r.event_id = event_target_group.event_id "
        "AND r.target_group = event_target_group.code AND r.status = 'confirmed')"
    ),
    "event_session": (
        "UPDATE event_session SET confirmed_count = (SELECT count(*) "
        "FROM registration_session rs JOIN registration r ON r.id = rs.registration_id "
        "WHERE rs.session_id = event_session.id AND r.status = 'confirmed')"
    ),
}


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        check = f"ck_{table}_confirmed_count"
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN confirmed_count INTEGER DEFAULT '0' NOT NULL "
                f"CONSTRAINT {check} CHECK (confirmed_count >= 0)"
            )
        else:
            op.add_column(
                table, sa.Column("confirmed_count", sa.Integer(), server_default="0", nullable=False)
            )
            op.create_check_constraint(op.f(check), table, "confirmed_count >= 0")
        op.execute(FILL[table])


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in reversed(TABLES):
        if sqlite:
            # SQLite (3.35+) drops a column in place when no index or constraint but its own
            # CHECK names it; no table rebuild, so no cascade.
            op.execute(f"ALTER TABLE {table} DROP COLUMN confirmed_count")
        else:
            op.drop_constraint(op.f(f"ck_{table}_confirmed_count"), table, type_="check")
            op.drop_column(table, "confirmed_count")
