"""event version notifications (PostgreSQL)

A trigger on event sends the event's public version on the channel "event_version" in the
same transaction as every change of its version, status or slug (and "*" on TRUNCATE), so each
worker process keeps the versions in memory (core/pushed_versions.py) and a cached event page
costs no query. Nothing on SQLite.

Revision ID: a7e3c9d1f2b4
Revises: 739f76ad1301
Create Date: 2026-12-03 14:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7e3c9d1f2b4"
down_revision = "739f76ad1301"
branch_labels = None
depends_on = None

# Payload (core/pushed_versions.py): lines "slug<TAB>version" for a public event, "slug<TAB>"
# for a slug that is no longer a public event's (a draft, a deleted event, a changed slug).
FUNCTION = r"""
CREATE OR REPLACE FUNCTION event_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    message text := '';
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('event_version', '*');
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        message := OLD.slug || E'\t';
    ELSE
        IF TG_OP = 'UPDATE' AND OLD.slug IS DISTINCT FROM NEW.slug THEN
            message := OLD.slug || E'\t\n';
        END IF;
        message := message || NEW.slug || E'\t'
            || CASE WHEN NEW.status <> 'draft' THEN NEW.version::text ELSE '' END;
    END IF;
    PERFORM pg_notify('event_version', message);
    RETURN NULL;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER event_version_notify"
        " AFTER INSERT OR DELETE OR UPDATE OF version, status, slug ON event"
        " FOR EACH ROW EXECUTE FUNCTION event_version_notify()"
    )
    op.execute(
        "CREATE TRIGGER event_version_notify_truncate AFTER TRUNCATE ON event"
        " FOR EACH STATEMENT EXECUTE FUNCTION event_version_notify()"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS event_version_notify_truncate ON event")
    op.execute("DROP TRIGGER IF EXISTS event_version_notify ON event")
    op.execute("DROP FUNCTION IF EXISTS event_version_notify()")
