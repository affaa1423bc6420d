"""The search index that migration 0010 builds beside the declared tables.

SQLite: ``<table>_search``, an FTS5 table over ``search_text`` with the trigram tokenizer.
It is an *external-content* table (``content='<table>'``): it keeps no second copy of the
text, FTS5's ``rebuild`` fills it from the mirror (the migration does, and so can a repair),
and ``integrity-check`` compares it with the mirror. Triggers on the mirror table keep it in
step, so it changes in the same transaction as the page that changes the mirror, whoever
writes the rows; an update that leaves ``search_text`` as it was (``seen_run``, the sweep's
``deleted_at``) does not touch it. FTS5 flushes its pending terms at every statement, so the
page write upserts a page in one statement (:class:`~erpsync.adapters.db.bulk.BulkUpsert`):
a statement a row made the index cost four times as much. A contentless table would need the
same triggers (SQLite 3.40 cannot delete from one without the old text) and offers neither
``rebuild`` nor the check. The index points at the mirror's rowids, which no write of the
sync engine changes (its upserts update rows in place; VACUUM keeps them on 3.40, and a
``rebuild`` would repair the index if one ever did not).

PostgreSQL: a pg_trgm GIN index on ``search_text``, which the planner uses for the search's
``LIKE '%word%'`` as it stands.

SQLAlchemy's table declarations cannot state either of these, so the schema check leaves
them out by the names below.
"""

from __future__ import annotations

#: The mirror tables the order form searches.
SEARCHABLE = ("customers", "products")
#: A trigram index finds a word only when it has at least this many characters.
TRIGRAM = 3
_FTS5_SHADOWS = ("data", "idx", "docsize", "config")


def fts_table(table: str) -> str:
    return f"{table}_search"


def trigram_index(table: str) -> str:
    return f"ix_{table}_search_text_trgm"


def fts_phrase(term: str) -> str:
    """``term`` as one FTS5 string: whatever it holds, it is matched as literal text."""
    return '"' + term.replace('"', '""') + '"'


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
