"""SQLite's FTS5 index of the library follows every material written, changed and removed
(triggers of the migration c5d2e8f1a7b3), so the search never finds what is gone."""

from __future__ import annotations

import pytest

from core.db import db
from materials import services


def indexed(stem: str) -> list[int]:
    rows = db.session.connection().exec_driver_sql(
        "SELECT rowid FROM material_search WHERE material_search MATCH ?", (f'"{stem}"*',)
    )
    return [r[0] for r in rows]


def test_the_index_follows_the_materials(make_material, organiser):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("FTS5 is SQLite's; PostgreSQL searches its own full-text configurations")
    material = make_material(title="Krav i byggprojekten", description="Goda exempel.", tags=[])
    assert indexed("byggprojek") == [material.id]
    services.update_material(organiser, material, {"title": "Lärlingsplatser i städavtal"})
    assert indexed("byggprojek") == []
    assert indexed("lärlingsplats") == [material.id]
    services.delete_material(organiser, material)
    assert indexed("lärlingsplats") == []


@pytest.mark.parametrize("q", ["_", "a_", "ß", "x" * 200, "ǅ ää", "e\u0301", "½", "²", "٣"])
def test_odd_words_never_break_the_search(client, make_material, q):
    """Words the stemmers or the FTS5 and tsquery syntaxes could choke on: a list, never a 500."""
    make_material()
    assert client.get("/materials", query_string={"q": q}).status_code == 200
    assert client.get("/api/v1/materials", query_string={"q": q}).status_code == 200
