"""Search over a material's title, description and tags that finds inflected forms.

PostgreSQL: full-text search with each text's language configuration ('swedish', 'english',
'finnish'): the texts are kept per language in Material.search_text, and a query matches when
it matches any language's text under that language's configuration (the query is stemmed by
the same configuration as the text it is compared with), each query word as a prefix.

SQLite: FTS5's porter tokenizer stems English only, so instead each word of each text is
stemmed with the Snowball stemmer of its language (snowballstemmer, the same algorithms as
PostgreSQL's dictionaries) and kept in Material.search_stems, which the FTS5 table
`material_search` indexes (kept in step by triggers: the migration c5d2e8f1a7b3); a query word
is stemmed with every language's stemmer and must match the start of a kept stem through the
index ("upphandlingar" and "upphandling" both become "upphandl"). Every query word must match.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer
import sqlalchemy as sa

from core.db import db

CONFIGS = {"sv": "swedish", "en": "english", "fi": "finnish"}
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 8


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(CONFIGS[lang])


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text or "") if not w.isdigit() or len(w) > 1]


def stems(text: str, lang: str) -> list[str]:
    return _stemmer(lang).stemWords(words(text))


def documents(texts: dict[str, str]) -> tuple[dict[str, str], str]:
    """(search_text, search_stems) for texts by language."""
    kept = {lang: text for lang, text in texts.items() if lang in CONFIGS and text.strip()}
    all_stems = sorted({s for lang, text in kept.items() for s in stems(text, lang)})
    return kept, " " + " ".join(all_stems) + " " if all_stems else ""


def condition(query: str, id_column: sa.ColumnElement, text_column: sa.ColumnElement):
    """The WHERE clause for the query, on this database's dialect; None for an empty query."""
    found = words(query)[:MAX_QUERY_WORDS]
    if not found:
        return None
    if db.engine.dialect.name == "postgresql":
        # Each word stemmed by the configuration and matched as a prefix ('hankinta:*' gives
        # 'hankin':*, which finds 'hankinnoissa' despite the consonant gradation); the words
        # are \w+ only, so they carry no tsquery operators.
        prefixes = " & ".join(f"{word}:*" for word in found)
        matches = []
        for lang, config in CONFIGS.items():
            text = sa.func.coalesce(text_column[lang].as_string(), "")
            matches.append(
                sa.func.to_tsvector(config, text).op("@@")(sa.func.to_tsquery(config, prefixes))
            )
        return sa.or_(*matches)
    # An FTS5 query: each word as prefixes of its stems, quoted (the words are \w+ only).
    match = " AND ".join(
        "(" + " OR ".join(f'"{v}"*' for v in sorted(_variants(word))) + ")" for word in found
    )
    index = sa.table("material_search", sa.column("rowid"), sa.column("material_search"))
    return id_column.in_(sa.select(index.c.rowid).where(index.c.material_search.op("MATCH")(match)))


def _variants(word: str) -> set[str]:
    return {_stemmer(lang).stemWord(word) for lang in CONFIGS} | {word}
