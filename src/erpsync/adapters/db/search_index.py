"""The search index that migration 0010 builds beside the declared tables.

SQLite: ``<table>_search``, an FTS5 table over ``search_text`` with the trigram tokenizer.
It keeps, for each trigram, the rows that hold it and nothing more (``detail=none``,
``columnsize=0``): without positions it cannot answer a phrase, so a word of more than three
characters is asked as all of its trigrams (:func:`fts_query`), which every row holding the
word has and a few rows not holding it may have too; the search checks every word again with
``LIKE`` anyway. Positions made the index about a third dearer to write, and the sync writes
it far more often than the form reads it.

It is an *external-content* table (``content='<table>'``): it keeps no second copy of the
text, FTS5's ``rebuild`` fills it from the mirror (the migration does, and so can a repair),
and ``integrity-check`` compares it with the mirror. Triggers on the mirror table keep it in
step, so it changes in the same transaction as the page that changes the mirror, whoever
writes the rows (the same insert as a statement of the page costs no less); an update that
leaves ``search_text`` as it was (``seen_run``, the sweep's ``deleted_at``) does not touch it.
FTS5 flushes its pending terms at every statement, so the page write upserts a page in one
statement (:class:`~erpsync.adapters.db.bulk.BulkUpsert`): a statement a row made the index
cost four times as much. A contentless table would need the same triggers (SQLite 3.40
cannot delete from one without the old text) and offers neither ``rebuild`` nor the check.
The index points at the mirror's rowids, which no write of the sync engine changes (its
upserts update rows in place; VACUUM keeps them on 3.40, and a ``rebuild`` would repair the
index if one ever did not).

PostgreSQL: a pg_trgm GIN index on ``search_text``, which the planner uses for the search's
``LIKE '%word%'`` as it stands.

SQLAlchemy's table declarations cannot state either of these, so the schema check leaves
them out by the names below.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The mirror tables the order form searches.
SEARCHABLE = ("customers", "products")
#: A trigram index finds a word only when it has at least this many characters.
TRIGRAM = 3
#: The tables FTS5 keeps behind an external-content table without column sizes.
_FTS5_SHADOWS = ("data", "idx", "config")


def fts_table(table: str) -> str:
    return f"{table}_search"


def trigram_index(table: str) -> str:
    return f"ix_{table}_search_text_trgm"


def fts_string(term: str) -> str:
    """``term`` as one FTS5 string: whatever it holds, it is matched as literal text."""
    return '"' + term.replace('"', '""') + '"'


def trigrams(word: str) -> list[str]:
    """The distinct runs of :data:`TRIGRAM` characters of ``word``, in order of appearance."""
    return list(dict.fromkeys(word[i : i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)))


def fts_query(words: Sequence[str]) -> str:
    """The FTS5 query for the rows holding every trigram of every word of :data:`TRIGRAM`
    characters or more: all the rows holding those words, and maybe a few more.

    Raises:
        ValueError: when no word is that long (an empty query is an FTS5 syntax error).
    """
    grams = dict.fromkeys(gram for word in words for gram in trigrams(word))
    if not grams:
        raise ValueError("no word of three characters or more")
    return " AND ".join(fts_string(gram) for gram in grams)


def undeclared_names(dialect: str) -> frozenset[str]:
    """The tables and indexes of the search index on ``dialect``, which no declaration names."""
    if dialect == "sqlite":
        return frozenset(
            name
            for table in SEARCHABLE
            for name in (
                fts_table(table),
                *(f"{fts_table(table)}_{shadow}" for shadow in _FTS5_SHADOWS),
            )
        )
    return frozenset(trigram_index(table) for table in SEARCHABLE)
