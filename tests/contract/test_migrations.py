"""The migrations build exactly the declared tables, on every SQL database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from erpsync.adapters.db.search_index import undeclared_names
from erpsync.adapters.db.tables import metadata


def test_migrations_up_from_empty_match_the_declared_tables(sql_engine: Engine) -> None:
    # The search index (FTS5 tables, trigram GIN indexes) is what no declaration can say.
    search_index = undeclared_names(sql_engine.dialect.name)
    with sql_engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: name not in search_index,
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == []
