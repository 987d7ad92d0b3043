"""event version for the page cache

Adds event.version, raised by every change an organiser or a registration makes to what the
public event page shows; core/page_cache.py keys cached pages on it, so a cached page is never
older than the data it shows.

Revision ID: 3b8f1d2a9c47
Revises: f19a9139dd2e
Create Date: 2026-12-01 17:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3b8f1d2a9c47"
down_revision = "f19a9139dd2e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    # In place (SQLite 3.35+ drops a column itself): rebuilding the table would delete every
    # registration through its foreign key.
    with op.batch_alter_table("event", recreate="never") as batch_op:
        batch_op.drop_column("version")
