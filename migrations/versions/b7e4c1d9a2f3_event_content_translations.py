"""event content in three languages: translations on event and event_session

A JSON column on each, {"en": {"title", "description"}, "fi": {...}}, holding the texts in the
languages other than the event's own (Event.language); the own text stays in title and
description. NOT NULL with DEFAULT '{}', so existing rows have no translations.

Added in place (ALTER TABLE ... ADD COLUMN on SQLite too): rebuilding `event` would delete every
registration through its foreign key.

Revision ID: b7e4c1d9a2f3
Revises: 59a43e2b6a2e
Create Date: 2026-12-10 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e4c1d9a2f3"
down_revision = "59a43e2b6a2e"
branch_labels = None
depends_on = None

TABLES = ("event", "event_session")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.add_column(
                sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.drop_column("translations")
