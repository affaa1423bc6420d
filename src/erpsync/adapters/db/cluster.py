"""The orchestrator role, its commands and its live state, shared through the database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from erpsync.adapters.db.tables import commands, leases, live_state
from erpsync.errors import LostRoleError
from erpsync.ports import Document, Lease, StoredCommand

log = logging.getLogger(__name__)

ROLE = "orchestrator"
#: The PostgreSQL channel on which new commands are announced.
CHANNEL = "erpsync_commands"


def _lease(row: Any) -> Lease:
    return Lease(row.holder, row.epoch, row.expires_at, row.anchor)


class SqlLeaseStore:
    """:class:`~erpsync.ports.LeaseStore` on one row, changed under a row lock (PostgreSQL) or
    an immediate write transaction (SQLite), so two processes never both win."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _locked(self, conn: Connection) -> Any:
        query = select(leases).where(leases.c.name == ROLE)
        if self._engine.dialect.name == "sqlite":
            conn.exec_driver_sql("UPDATE leases SET name = name WHERE name = 'orchestrator'")
        else:
            query = query.with_for_update()
        return conn.execute(query).first()

    def acquire(
        self,
        holder: str,
        now: datetime,
        ttl: timedelta,
        *,
        take_over: bool = False,
        fresh_start_after: timedelta | None = None,
    ) -> Lease | None:
        expires = now + ttl
        with self._engine.begin() as conn:
            row = self._locked(conn)
            if row is None:
                dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
                created = conn.execute(
                    dialect.insert(leases)
                    .values(name=ROLE, holder=holder, epoch=1, expires_at=expires, anchor=now)
                    .on_conflict_do_nothing()
                )
                return Lease(holder, 1, expires, now) if created.rowcount else None
            if row.holder == holder and row.expires_at > now:
                epoch = row.epoch
            elif row.expires_at <= now or take_over:
                epoch = row.epoch + 1
            else:
                return None
            anchor = row.anchor
            if fresh_start_after is not None and now - row.expires_at >= fresh_start_after:
                anchor = now
            conn.execute(
                update(leases)
                .where(leases.c.name == ROLE)
                .values(holder=holder, epoch=epoch, expires_at=expires, anchor=anchor)
            )
            return Lease(holder, epoch, expires, anchor)

    def current(self) -> Lease | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(leases).where(leases.c.name == ROLE)).first()
        return None if row is None else _lease(row)

    def release(self, holder: str, epoch: int, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(leases)
                .where(leases.c.name == ROLE, leases.c.holder == holder, leases.c.epoch == epoch)
                .values(expires_at=now)
            )


class SqlRoleFence:
    """:class:`~erpsync.ports.Fence` on the lease row. :meth:`check` runs inside a write
    transaction and locks the row, so a takeover waits for the write or voids it."""

    def __init__(self, engine: Engine) -> None:
        self._claim: tuple[str, int] | None = None
        self._sql = "UPDATE leases SET epoch = epoch WHERE name = 'orchestrator' " + (
            "AND holder = ? AND epoch = ?"
            if engine.dialect.name == "sqlite"
            else "AND holder = %s AND epoch = %s"
        )

    def hold(self, holder: str, epoch: int) -> None:
        self._claim = (holder, epoch)

    def drop(self) -> None:
        self._claim = None

    def check(self, conn: Connection) -> None:
        """Raises ``LostRoleError`` unless this process still holds the role at its epoch."""
        claim = self._claim
        if claim is None:
            raise LostRoleError("this process does not hold the orchestrator role")
        if conn.exec_driver_sql(self._sql, claim).rowcount != 1:
            raise LostRoleError(
                f"{claim[0]} lost the orchestrator role (epoch {claim[1]}); "
                "the page was not written"
            )


class SqlCommandQueue:
    """:class:`~erpsync.ports.CommandQueue` on a table. On PostgreSQL a new command is also
    announced with ``NOTIFY``, so the holder of the role hears of it at once instead of at its
    next look; elsewhere the holder looks every ``timeout_s``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self.announces = self._postgres
        self._listener: psycopg.AsyncConnection[Any] | None = None

    def submit(self, document: Document, now: datetime) -> int:
        kind = str(document.get("kind", ""))[:32]
        with self._engine.begin() as conn:
            command_id: int = conn.execute(
                insert(commands)
                .values(kind=kind, payload=json.dumps(document), created_at=now)
                .returning(commands.c.id)
            ).scalar_one()
            if self._postgres:
                conn.exec_driver_sql(f"NOTIFY {CHANNEL}")
        return command_id

    async def wait_for_work(self, timeout_s: float) -> None:
        if not self._postgres:
            await asyncio.sleep(timeout_s)
            return
        try:
            listener = await self._listen()
            async for _ in listener.notifies(timeout=timeout_s, stop_after=1):
                pass
        except psycopg.Error:
            log.warning("action=command_listener_lost; polling until it is back")
            await self.aclose()
            await asyncio.sleep(timeout_s)

    async def _listen(self) -> psycopg.AsyncConnection[Any]:
        if self._listener is None or self._listener.closed:
            url = self._engine.url.set(drivername="postgresql")
            self._listener = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False), autocommit=True
            )
            await self._listener.execute(f"LISTEN {CHANNEL}")
        return self._listener

    async def aclose(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(psycopg.Error):
                await listener.close()

    def pending(self, limit: int = 100) -> list[StoredCommand]:
        query = (
            select(commands.c.id, commands.c.payload)
            .where(commands.c.answered_at.is_(None))
            .order_by(commands.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [StoredCommand(r.id, json.loads(r.payload)) for r in conn.execute(query)]

    def answer(self, command_id: int, reply: Document, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(commands)
                .where(commands.c.id == command_id)
                .values(result=json.dumps(reply), answered_at=now)
            )

    def result(self, command_id: int) -> Document | None:
        query = select(commands.c.result).where(
            commands.c.id == command_id, commands.c.answered_at.is_not(None)
        )
        with self._engine.connect() as conn:
            text = conn.execute(query).scalar_one_or_none()
        if text is None:
            return None
        reply: Document = json.loads(text)
        return reply

    def purge(self, before: datetime) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(commands).where(
                    commands.c.answered_at.is_not(None), commands.c.answered_at < before
                )
            )
        return int(result.rowcount)


class SqlLiveStateStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def publish(self, holder: str, epoch: int, state: Document, now: datetime) -> None:
        dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
        values = {
            "holder": holder,
            "epoch": epoch,
            "state": json.dumps(state),
            "published_at": now,
        }
        stmt = dialect.insert(live_state).values(name=ROLE, **values)
        stmt = stmt.on_conflict_do_update(index_elements=[live_state.c.name], set_=values)
        with self._engine.begin() as conn:
            conn.execute(stmt)

    def read(self) -> tuple[Document, datetime] | None:
        query = select(live_state.c.state, live_state.c.published_at).where(
            live_state.c.name == ROLE
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        state: Document = json.loads(row.state)
        return state, row.published_at
