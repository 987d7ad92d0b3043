"""outbox rows hold a snapshot of the facts; the worker renders them

Adds outbox_message.language (the recipient's) and outbox_message.facts (the snapshot, JSON),
and lets subject and body_text be empty until the worker has rendered and sent the message
(they then keep what went out). Rows queued before this revision are already rendered: their
facts stay NULL and the worker sends them as they are.

Revision ID: f19a9139dd2e
Revises: ee0b26ecc22b
Create Date: 2026-12-01 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f19a9139dd2e"
down_revision = "ee0b26ecc22b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="sv")
        )
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=True)


def downgrade():
    outbox = sa.table(
        "outbox_message",
        sa.column("status", sa.String),
        sa.column("subject", sa.String),
        sa.column("body_text", sa.Text),
        sa.column("last_error", sa.Text),
    )
    # A message not yet rendered cannot be sent by the older worker: keep it, failed, saying so.
    op.execute(
        outbox.update()
        .where(outbox.c.body_text.is_(None), outbox.c.status.in_(("queued", "sending")))
        .values(status="failed", last_error="not rendered before the downgrade")
    )
    op.execute(outbox.update().where(outbox.c.subject.is_(None)).values(subject=""))
    op.execute(outbox.update().where(outbox.c.body_text.is_(None)).values(body_text=""))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("facts")
        batch_op.drop_column("language")
