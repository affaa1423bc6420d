"""The migrations build exactly the declared tables, on every SQL database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from erpsync.adapters.db.tables import metadata


def test_migrations_up_from_empty_match_the_declared_tables(sql_engine: Engine) -> None:
    with sql_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
