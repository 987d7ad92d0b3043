"""international addresses: one stored form, permanent mail failures, manage-link resends

Adds registration.manage_link_sent_at (the manage link is sent again at most once every ten
minutes) and outbox_message.failure_reason (why a message failed for good, e.g. a server
without SMTPUTF8), and brings stored addresses to the form core.addresses gives them today
(NFKC, lower case, the domain in Unicode), so that a full-width or IDNA copy of an address
already stored cannot slip past the unique indexes. A stored address whose normal form is
already held by another row (an active registration for the same event, or an organiser) is
left as it is and named in the log: an organiser decides which of the two to cancel.

Revision ID: ee0b26ecc22b
Revises: 7c2c794037f7
Create Date: 2026-12-01 16:40:00.000000

"""

import logging

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "ee0b26ecc22b"
down_revision = "7c2c794037f7"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _normalise_registrations(conn: sa.Connection, key) -> None:  # noqa: ANN001
    registration = sa.table(
        "registration",
        sa.column("id", sa.Integer),
        sa.column("event_id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("status", sa.String),
    )
    rows = conn.execute(
        sa.select(
            registration.c.id, registration.c.event_id, registration.c.email, registration.c.status
        ).order_by(registration.c.id)
    ).all()
    active = {(r.event_id, r.email) for r in rows if r.status != "cancelled"}
    for row in rows:
        normal = key(row.email)
        if normal == row.email:
            continue
        if row.status != "cancelled":
            if (row.event_id, normal) in active:
                log.warning(
                    "registration %s: %r is already registered for event %s as %r; left as is",
                    row.id,
                    row.email,
                    row.event_id,
                    normal,
                )
                continue
            active.discard((row.event_id, row.email))
            active.add((row.event_id, normal))
        conn.execute(
            sa.update(registration).where(registration.c.id == row.id).values(email=normal)
        )


def _normalise_organisers(conn: sa.Connection, key) -> None:  # noqa: ANN001
    organiser = sa.table("organiser", sa.column("id", sa.Integer), sa.column("email", sa.String))
    rows = conn.execute(sa.select(organiser.c.id, organiser.c.email).order_by(organiser.c.id)).all()
    taken = {r.email for r in rows}
    for row in rows:
        normal = key(row.email)
        if normal == row.email:
            continue
        if normal in taken:
            log.warning(
                "organiser %s: %r is another account's %r; left as is", row.id, row.email, normal
            )
            continue
        taken.discard(row.email)
        taken.add(normal)
        conn.execute(sa.update(organiser).where(organiser.c.id == row.id).values(email=normal))


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("manage_link_sent_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_reason", sa.String(length=40), nullable=True))

    from core.addresses import email_key

    conn = op.get_bind()
    _normalise_registrations(conn, email_key)
    _normalise_organisers(conn, email_key)


def downgrade():
    # Addresses stay in their normal form: the old code reads them as they are.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("failure_reason")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("manage_link_sent_at")
