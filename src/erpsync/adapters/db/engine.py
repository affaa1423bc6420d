"""Engines for the database URL in the settings: SQLite (WAL) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError

#: Connections each replica keeps pooled on PostgreSQL (see :func:`build_engine`).
PG_POOL_SIZE = 15
#: A pooled connection unused this long is pinged before it is handed out (seconds).
IDLE_PING_S = 5.0


def normalise_url(url: str) -> str:
    """Accept the usual spellings and pick the drivers erpsync ships with."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def build_engine(url: str) -> Engine:
    """An engine for ``url``; a file SQLite database gets its folder created and WAL mode."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Enough pooled connections for the worker threads: one opened past the pool is closed
        # again after each use, and opening one (its pragmas) costs more than a query.
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=20, max_overflow=20
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # As many pooled connections as threads may hold one at once (the routes', asyncio's, the
    # orchestrator's): one opened past the pool is closed after its use, and a PostgreSQL
    # connection costs a new server process.
    # Last in, first out: under load the same few connections stay in use, and only those left
    # idle age into the ping below.
    engine = create_engine(url, pool_size=PG_POOL_SIZE, max_overflow=10, pool_use_lifo=True)
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", _checked_if_idle(engine))
    return engine


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info["returned_at"] = time.monotonic()


def _checked_if_idle(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """A pool checkout that pings a connection only when it sat idle for :data:`IDLE_PING_S`:
    one the server dropped meanwhile (a restart, an idle timeout) is replaced before a request
    meets it, and a busy service does not pay a round trip on every checkout, as
    ``pool_pre_ping`` would. A connection that breaks while in steady use fails the statement
    it was running, and the pool then replaces every connection as old as it."""

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"a pooled connection is gone: {exc}") from exc

    return checkout


def reading(engine: Engine) -> Connection:
    """A connection for one statement that only reads, in autocommit: no transaction is begun,
    so none is rolled back after it (on PostgreSQL, a round trip less; an offline slice's
    reads are such). The user lookups of every request go further, at the driver level
    (:class:`~erpsync.adapters.db.bulk.DriverRead`)."""
    connection = engine.connect()
    if engine.dialect.name == "sqlite":  # it begins none for a read anyway; switching costs
        return connection
    return connection.execution_options(isolation_level="AUTOCOMMIT")
