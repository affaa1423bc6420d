"""the search index finds words of two characters: a trailing space indexed, a term list

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00

SQLite only (PostgreSQL's schema does not change). A trigram index cannot look up a word of two
characters, so the search scanned every row when such a word matched nobody. Each FTS5 index
now reads its text through a view (``<table>_search_source``) that adds one space at its end:
every occurrence of a two-character word then starts a trigram (the word at the very end of the
text starts "word + space"), so the rows holding the word are exactly the rows holding one of
the index's terms that begin with it. An ``fts5vocab`` table over each index
(``<table>_search_terms``) lists those terms by a range lookup. The triggers index the same
padded text as the view, so ``rebuild`` and ``integrity-check`` agree with them.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SEARCHABLE = ("customers", "products")
_TRIGGERS = ("insert", "delete", "update")


def _fts5(table: str, *, padded: bool) -> list[str]:
    """The FTS5 index of ``table`` and its triggers; ``padded``: this revision's (through the
    view, with the trailing space), else 0010's (the table itself, the text as stored)."""
    fts = f"{table}_search"
    pad = " || ' '" if padded else ""
    new, old = f"new.search_text{pad}", f"old.search_text{pad}"
    source, rowid = (f"{fts}_source", "row_id") if padded else (table, "rowid")
    view = [
        f"CREATE VIEW {source} AS "
        f"SELECT rowid AS row_id, search_text{pad} AS search_text FROM {table}"
    ]
    return [
        *(view if padded else []),
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{source}', "
        f"content_rowid='{rowid}', tokenize='trigram', detail=none, columnsize=0)",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} "
        f"WHEN old.search_text IS NOT new.search_text BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _drop(table: str) -> list[str]:
    fts = f"{table}_search"
    return [
        f"DROP TABLE IF EXISTS {fts}_terms",
        *(f"DROP TRIGGER IF EXISTS {fts}_{trigger}" for trigger in _TRIGGERS),
        f"DROP TABLE IF EXISTS {fts}",
        f"DROP VIEW IF EXISTS {fts}_source",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _SEARCHABLE:
        fts = f"{table}_search"
        for statement in [
            *_drop(table),
            *_fts5(table, padded=True),
            f"CREATE VIRTUAL TABLE {fts}_terms USING fts5vocab({fts}, 'row')",
        ]:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _SEARCHABLE:
        for statement in [*_drop(table), *_fts5(table, padded=False)]:
            op.execute(statement)
