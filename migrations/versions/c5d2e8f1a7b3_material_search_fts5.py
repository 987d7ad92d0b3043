"""the material library's search index on SQLite: FTS5 over the kept stems

On SQLite, an FTS5 table `material_search` indexes Material.search_stems (each word stemmed by
its language's Snowball stemmer, materials/search.py); triggers keep it in step with the
`material` table, so no code writes it. A query matches stems by prefix through the index
instead of scanning every row with LIKE. PostgreSQL searches with its own full-text
configurations and needs nothing here.

Revision ID: c5d2e8f1a7b3
Revises: a4572db741b8
Create Date: 2026-12-01 20:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c5d2e8f1a7b3"
down_revision = "a4572db741b8"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE material_search USING fts5("
        "stems, tokenize = 'unicode61 remove_diacritics 0')"
    )
    op.execute("INSERT INTO material_search (rowid, stems) SELECT id, search_stems FROM material")
    op.execute(
        "CREATE TRIGGER material_search_insert AFTER INSERT ON material BEGIN "
        "INSERT INTO material_search (rowid, stems) VALUES (new.id, new.search_stems); END"
    )
    op.execute(
        "CREATE TRIGGER material_search_update AFTER UPDATE OF search_stems ON material BEGIN "
        "DELETE FROM material_search WHERE rowid = old.id; "
        "INSERT INTO material_search (rowid, stems) VALUES (new.id, new.search_stems); END"
    )
    op.execute(
        "CREATE TRIGGER material_search_delete AFTER DELETE ON material BEGIN "
        "DELETE FROM material_search WHERE rowid = old.id; END"
    )


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS material_search_{trigger}")
    op.execute("DROP TABLE IF EXISTS material_search")
