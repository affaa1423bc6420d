"""Fakes that keep the same rules as the real adapters, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from erpsync.domain.catalog import RecordSpec
from erpsync.domain.runs import Checkpoint, RunStatus, RunTransitions, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import RecordNotFoundError
from erpsync.ports import Document, HashLookup, Lease, PageWrite, StoredCommand


class FakeClock:
    """A clock that moves only when told to. ``sleep`` waits until ``advance`` passes its end."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (deadline, next(self._seq), future))
        await future

    @property
    def sleepers(self) -> int:
        return sum(1 for *_, f in self._sleepers if not f.done())

    async def advance(self, seconds: float = 0, *, to: datetime | None = None) -> None:
        """Move time forward, waking each sleeper in deadline order at its own deadline."""
        target = to if to is not None else self._now + timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._now = max(self._now, deadline)
            future.set_result(None)
            for _ in range(5):
                await asyncio.sleep(0)
        self._now = max(self._now, target)
        await asyncio.sleep(0)


class InMemoryMirrorStore:
    """:class:`~erpsync.ports.MirrorStore` in dictionaries, following the SQL store's rules."""

    def __init__(self, runs: InMemoryRunStore) -> None:
        self._runs = runs
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._quarantine: list[dict[str, Any]] = []

    def _table(self, spec: RecordSpec) -> dict[str, dict[str, Any]]:
        return self._rows.setdefault(spec.table, {})

    def write_page(
        self,
        spec: RecordSpec,
        run_id: int,
        keys: Sequence[str],
        build: Callable[[HashLookup], PageWrite],
        *,
        mark_seen: bool,
    ) -> PageWrite:
        table = self._table(spec)
        existing = {
            k: (None if table[k]["deleted_at"] else table[k]["row_hash"])
            for k in keys
            if k in table
        }
        write = build(existing)
        if mark_seen:
            for key in existing:
                table[key]["seen_run"] = run_id
        for record in write.upserts:
            table[record.key] = {
                **record.values,
                **{name: [dict(r) for r in rows] for name, rows in record.children.items()},
                "row_hash": record.content_hash,
                "seen_run": write.run_id,
                "deleted_at": None,
            }
        for q in write.quarantined:
            self._quarantine.append(
                {
                    "run_id": write.run_id,
                    "record_key": q.key,
                    "reason": q.reason,
                    "payload": json.loads(q.payload),
                }
            )
        self._runs.checkpoint(write.run_id, write.checkpoint, write.written_at)
        return write

    def sweep(self, spec: RecordSpec, run_id: int, now: datetime) -> int:
        swept = 0
        for row in self._table(spec).values():
            if row["deleted_at"] is None and row["seen_run"] != run_id:
                row["deleted_at"] = now
                swept += 1
        return swept

    def count(self, spec: RecordSpec, *, include_deleted: bool = False) -> int:
        return sum(
            1 for r in self._table(spec).values() if include_deleted or r["deleted_at"] is None
        )

    def get(self, spec: RecordSpec, key: str) -> dict[str, Any] | None:
        row = self._table(spec).get(key)
        if row is None:
            return None
        return {k: v for k, v in row.items() if k not in ("row_hash", "seen_run")}

    def quarantined(self, run_id: int) -> list[dict[str, Any]]:
        return [q for q in self._quarantine if q["run_id"] == run_id]


class InMemoryRunStore(RunTransitions):
    """:class:`~erpsync.ports.RunStore` in dictionaries, following the SQL store's rules."""

    def __init__(self) -> None:
        self._runs: dict[int, SyncRun] = {}
        self._watermarks: dict[SyncType, datetime] = {}
        self._ids = itertools.count(1)

    def start(
        self,
        type: SyncType,
        mode: SyncMode,
        *,
        trigger: Trigger,
        since: datetime | None,
        at: datetime,
    ) -> SyncRun:
        run = SyncRun(
            id=next(self._ids),
            type=type,
            mode=mode,
            trigger=trigger,
            status=RunStatus.RUNNING,
            started_at=at,
            since=since,
            running_since=at,
        )
        self._runs[run.id] = run
        return run

    def get(self, run_id: int) -> SyncRun:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RecordNotFoundError("sync run", str(run_id)) from None

    def checkpoint(self, run_id: int, checkpoint: Checkpoint, at: datetime) -> None:
        """What a page write does to its run (see :class:`InMemoryMirrorStore`)."""
        run = self.get(run_id).with_checkpoint(checkpoint)
        self._runs[run_id] = replace(run, last_page_at=at)

    def unfinished(self, type: SyncType) -> SyncRun | None:
        candidates = [r for r in self._runs.values() if r.type == type and r.status.resumable]
        return max(candidates, key=lambda r: r.id, default=None)

    def _transition(self, run_id: int, change: Callable[[SyncRun], SyncRun]) -> SyncRun:
        run = self._runs[run_id] = change(self.get(run_id))
        return run

    def interrupt_abandoned(self) -> list[SyncRun]:
        running = sorted(r.id for r in self._runs.values() if r.status == RunStatus.RUNNING)
        return [self._transition(run_id, SyncRun.abandoned) for run_id in running]

    def watermark(self, type: SyncType) -> datetime | None:
        return self._watermarks.get(type)

    def advance_watermark(self, type: SyncType, mark: datetime) -> None:
        current = self._watermarks.get(type)
        if current is None or mark > current:
            self._watermarks[type] = mark

    def recent(self, type: SyncType | None = None, limit: int = 50) -> list[SyncRun]:
        runs = sorted(self._runs.values(), key=lambda r: r.id, reverse=True)
        return [r for r in runs if type is None or r.type == type][:limit]

    def latest(self, types: Sequence[SyncType], limit: int) -> dict[SyncType, list[SyncRun]]:
        return {type: self.recent(type, limit) for type in types}

    def prune(self, before: datetime, *, limit: int) -> int:
        runs = sorted(self._runs.values(), key=lambda r: r.id)
        kept: dict[tuple[SyncType, bool], int] = {}  # by type and full: the latest completed
        for run in runs:
            if run.status == RunStatus.COMPLETED:
                kept[(run.type, False)] = run.id
                if run.mode == SyncMode.FULL:
                    kept[(run.type, True)] = run.id
        keep = set(kept.values())
        doomed = [
            r.id
            for r in runs
            if r.started_at < before and not r.status.resumable and r.id not in keep
        ][:limit]
        for run_id in doomed:
            del self._runs[run_id]
        return len(doomed)


class InMemoryScheduleStore:
    """:class:`~erpsync.ports.ScheduleStore` in a dictionary."""

    def __init__(self) -> None:
        self.entries: dict[SyncType, TypeSchedule] = {}

    def load(self) -> dict[SyncType, TypeSchedule]:
        return dict(self.entries)

    def save(self, entry: TypeSchedule) -> None:
        self.entries[entry.type] = entry


class InMemoryLeaseStore:
    """:class:`~erpsync.ports.LeaseStore` for one process, with the SQL store's rules."""

    def __init__(self) -> None:
        self.lease: Lease | None = None

    def acquire(
        self,
        holder: str,
        now: datetime,
        ttl: timedelta,
        *,
        take_over: bool = False,
        fresh_start_after: timedelta | None = None,
    ) -> Lease | None:
        lease = self.lease
        if lease is None:
            self.lease = Lease(holder, 1, now + ttl, now)
            return self.lease
        fresh = fresh_start_after is not None and now - lease.expires_at >= fresh_start_after
        anchor = now if fresh else lease.anchor
        if lease.holder == holder and lease.expires_at > now:
            self.lease = replace(lease, expires_at=now + ttl, anchor=anchor)
        elif lease.expires_at <= now or take_over:
            self.lease = Lease(holder, lease.epoch + 1, now + ttl, anchor)
        else:
            return None
        return self.lease

    def current(self) -> Lease | None:
        return self.lease

    def release(self, holder: str, epoch: int, now: datetime) -> None:
        if self.lease is not None and (self.lease.holder, self.lease.epoch) == (holder, epoch):
            self.lease = replace(self.lease, expires_at=now)


class InMemoryCommandQueue:
    """:class:`~erpsync.ports.CommandQueue` in a dictionary; documents go through JSON, as
    they do through the table."""

    def __init__(self) -> None:
        self._commands: dict[int, tuple[StoredCommand, Document | None, datetime | None]] = {}
        self._ids = itertools.count(1)
        self._arrived = asyncio.Event()

    def submit(self, document: Document, now: datetime) -> int:
        command = StoredCommand(next(self._ids), _through_json(document))
        self._commands[command.id] = (command, None, None)
        self._arrived.set()
        return command.id

    async def wait_for_work(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), timeout_s)
        self._arrived.clear()

    async def aclose(self) -> None:
        return None

    def pending(self, limit: int = 100) -> list[StoredCommand]:
        waiting = [c for c, _, answered in self._commands.values() if answered is None]
        return sorted(waiting, key=lambda c: c.id)[:limit]

    def answer(self, command_id: int, reply: Document, now: datetime) -> None:
        command, _, _ = self._commands[command_id]
        self._commands[command_id] = (command, _through_json(reply), now)

    def result(self, command_id: int) -> Document | None:
        entry = self._commands.get(command_id)
        return None if entry is None else entry[1]

    def purge(self, before: datetime) -> int:
        old = [i for i, (_, _, at) in self._commands.items() if at is not None and at < before]
        for command_id in old:
            del self._commands[command_id]
        return len(old)


class InMemoryLiveStateStore:
    """:class:`~erpsync.ports.LiveStateStore` in a variable."""

    def __init__(self) -> None:
        self._state: tuple[Document, datetime] | None = None

    def publish(self, holder: str, epoch: int, state: Document, now: datetime) -> None:
        self._state = (_through_json(state), now)

    def read(self) -> tuple[Document, datetime] | None:
        return self._state


class RecordingFence:
    """:class:`~erpsync.ports.Fence` that remembers every claim, for tests of the role."""

    def __init__(self) -> None:
        self.claims: list[tuple[str, int]] = []
        self.held: tuple[str, int] | None = None

    def hold(self, holder: str, epoch: int) -> None:
        self.held = (holder, epoch)
        self.claims.append(self.held)

    def drop(self) -> None:
        self.held = None


class FakeProcesses:
    """:class:`~erpsync.ports.ProcessProbe` whose dead processes are named by the test."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.dead: set[str] = set()

    def name(self) -> str:
        return self._name

    def gone(self, holder: str) -> bool:
        return holder in self.dead


def _through_json(document: Document) -> Document:
    copy: Document = json.loads(json.dumps(document))
    return copy


class InMemoryLoginFailures:
    """:class:`~erpsync.ports.LoginFailures` in a dictionary."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[datetime]] = {}

    def __len__(self) -> int:
        """How many failures it keeps."""
        return sum(len(times) for times in self._by_key.values())

    def record(self, key: str, at: datetime) -> None:
        self._by_key.setdefault(key, []).append(at)

    def since(self, key: str, after: datetime) -> list[datetime]:
        return sorted(at for at in self._by_key.get(key, []) if at > after)

    def clear(self, key: str) -> None:
        self._by_key.pop(key, None)

    def purge(self, before: datetime) -> int:
        dropped = 0
        for key in list(self._by_key):
            kept = [at for at in self._by_key[key] if at >= before]
            dropped += len(self._by_key[key]) - len(kept)
            if kept:
                self._by_key[key] = kept
            else:
                del self._by_key[key]
        return dropped
