"""the order form's search through an index: trigram FTS5 (SQLite), pg_trgm GIN (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:00:00

SQLite: one external-content FTS5 table per searchable mirror table (``<table>_search``,
``content='<table>'``, trigram tokenizer) over ``search_text``, kept in step by triggers, so
every page write updates the index in its own transaction; it is filled from the rows already
mirrored with FTS5's ``rebuild``. It records which rows hold a trigram and nothing more
(``detail=none``: no positions; ``columnsize=0``: no token counts), which makes it about a
third cheaper to write than the full detail, and the search asks it for rows holding all of a
word's trigrams instead of the phrase. PostgreSQL: a ``gin_trgm_ops`` index on ``search_text``,
which the planner uses for ``LIKE '%word%'`` as it stands. On both, the customers get the
indexes their result order walks (``name, code``; ``agent_code, name, code``), for the words
that match nearly everyone.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SEARCHABLE = ("customers", "products")
_ORDERED = {
    "ix_customers_name_code": ("customers", ["name", "code"]),
    "ix_customers_agent_name_code": ("customers", ["agent_code", "name", "code"]),
}


def _fts5(table: str) -> list[str]:
    fts = f"{table}_search"
    # An update that leaves search_text as it was (every unchanged-content upsert, seen_run,
    # deleted_at) does not touch the index.
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5("
        f"search_text, content='{table}', tokenize='trigram', detail=none, columnsize=0)",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.rowid, old.search_text); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} "
        f"WHEN old.search_text IS NOT new.search_text BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.rowid, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    for name, (table, columns) in _ORDERED.items():
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for table in _SEARCHABLE:
            for statement in _fts5(table):
                op.execute(statement)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in _SEARCHABLE:
        op.execute(
            f"CREATE INDEX ix_{table}_search_text_trgm ON {table} "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    # The pg_trgm extension stays: other schemas of the database may use it.
    if op.get_bind().dialect.name == "sqlite":
        for table in _SEARCHABLE:
            fts = f"{table}_search"
            for trigger in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    else:
        for table in _SEARCHABLE:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_text_trgm")
    for name, (table, _) in _ORDERED.items():
        op.drop_index(name, table_name=table)
