"""The PostgreSQL pool: a connection the server dropped while it sat idle is replaced before a
request meets it, without a ping on every checkout; one-statement reads begin no transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from erpsync.adapters.db import engine as engines
from erpsync.adapters.db.engine import build_engine, reading

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_database: str) -> Iterator[Engine]:
    engine = build_engine(postgres_database)
    yield engine
    engine.dispose()


def _idle_pooled_connection_dropped(engine: Engine) -> int:
    """Two connections out, the first back in the pool, then the server ends it (through the
    second, which goes back after it)."""
    with engine.connect() as second:
        with engine.connect() as first:
            pid = _pid(first)
        # waits until the backend has exited (PostgreSQL 14+), so it is surely gone
        second.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    return pid


def _both_pooled(engine: Engine) -> set[int]:
    """The backends of two connections checked out together: both the pool holds."""
    with engine.connect() as one, engine.connect() as other:
        return {_pid(one), _pid(other)}


def _pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "IDLE_PING_S", 0.0)  # every pooled connection counts as idle
    engine.pool.dispose()
    gone = _idle_pooled_connection_dropped(engine)
    assert gone not in _both_pooled(engine)  # both pooled connections out at once: both work


def test_without_the_idle_ping_the_dropped_connection_fails_a_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same drop, the connection checked out within the idle time: no ping, so the request
    meets the dead connection (what the ping is for), and the pool recovers after it."""
    monkeypatch.setattr(engines, "IDLE_PING_S", 3600.0)
    engine.pool.dispose()
    _idle_pooled_connection_dropped(engine)
    with pytest.raises(OperationalError):
        _both_pooled(engine)
    assert len(_both_pooled(engine)) == 2  # the pool replaced the dead one


def test_a_read_begins_no_transaction(engine: Engine) -> None:
    with reading(engine) as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
        status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
        assert status == TransactionStatus.IDLE
    with engine.connect() as conn:  # what the plain connection does, for contrast
        conn.execute(text("SELECT 1"))
        status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
        assert status == TransactionStatus.INTRANS
