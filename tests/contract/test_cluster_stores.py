"""The orchestrator role, commands and live state: the same rules on every adapter."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from erpsync.adapters.db.cluster import (
    SqlCommandQueue,
    SqlLeaseStore,
    SqlLiveStateStore,
    SqlRoleFence,
)
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.domain.catalog import SPECS
from erpsync.domain.runs import Checkpoint
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import LostRoleError
from erpsync.ports import CommandQueue, HashLookup, LeaseStore, LiveStateStore, PageWrite
from erpsync.testing import InMemoryCommandQueue, InMemoryLeaseStore, InMemoryLiveStateStore

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=15)


@dataclass
class Cluster:
    leases: LeaseStore
    commands: CommandQueue
    live: LiveStateStore


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cluster(request: pytest.FixtureRequest) -> Cluster:
    if request.param == "memory":
        return Cluster(InMemoryLeaseStore(), InMemoryCommandQueue(), InMemoryLiveStateStore())
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return Cluster(SqlLeaseStore(engine), SqlCommandQueue(engine), SqlLiveStateStore(engine))


def test_one_holder_at_a_time_and_the_epoch_grows_with_each_new_holder(cluster: Cluster) -> None:
    leases = cluster.leases
    first = leases.acquire("a", NOW, TTL)
    assert first is not None
    assert (first.holder, first.epoch, first.anchor) == ("a", 1, NOW)
    assert leases.acquire("b", NOW + timedelta(seconds=5), TTL) is None
    renewed = leases.acquire("a", NOW + timedelta(seconds=10), TTL)
    assert renewed is not None
    assert renewed.epoch == 1
    assert renewed.expires_at == NOW + timedelta(seconds=25)
    assert leases.acquire("b", NOW + timedelta(seconds=20), TTL) is None

    taken = leases.acquire("b", NOW + timedelta(seconds=26), TTL)
    assert taken is not None
    assert (taken.holder, taken.epoch, taken.anchor) == ("b", 2, NOW)
    assert leases.acquire("a", NOW + timedelta(seconds=27), TTL) is None
    current = leases.current()
    assert current is not None
    assert current.holder == "b"


def test_release_lets_the_next_holder_in_at_once(cluster: Cluster) -> None:
    leases = cluster.leases
    leases.acquire("a", NOW, TTL)
    leases.release("b", 1, NOW)  # not the holder: nothing happens
    assert leases.acquire("b", NOW, TTL) is None
    leases.release("a", 1, NOW + timedelta(seconds=1))
    taken = leases.acquire("b", NOW + timedelta(seconds=1), TTL)
    assert taken is not None
    assert taken.epoch == 2


def test_a_role_vacant_long_enough_starts_the_deployment_afresh(cluster: Cluster) -> None:
    leases = cluster.leases
    leases.acquire("a", NOW, TTL)
    leases.release("a", 1, NOW + timedelta(minutes=1))
    soon = leases.acquire(
        "b", NOW + timedelta(minutes=5), TTL, fresh_start_after=timedelta(minutes=10)
    )
    assert soon is not None
    assert soon.anchor == NOW, "a hand-over keeps the grids"
    leases.release("b", 2, NOW + timedelta(minutes=6))
    later = NOW + timedelta(hours=2)
    fresh = leases.acquire("a", later, TTL, fresh_start_after=timedelta(minutes=10))
    assert fresh is not None
    assert fresh.anchor == later
    renewed = leases.acquire(
        "a", later + timedelta(seconds=5), TTL, fresh_start_after=timedelta(minutes=10)
    )
    assert renewed is not None
    assert renewed.anchor == later


def test_take_over_replaces_a_holder_known_to_be_dead(cluster: Cluster) -> None:
    cluster.leases.acquire("a", NOW, TTL)
    taken = cluster.leases.acquire("b", NOW, TTL, take_over=True)
    assert taken is not None
    assert taken.epoch == 2


def test_commands_are_answered_in_order(cluster: Cluster) -> None:
    queue = cluster.commands
    first = queue.submit({"kind": "request_sync", "body": {"type": "orders"}}, NOW)
    second = queue.submit({"kind": "open_form", "body": {"session_id": "tab-1"}}, NOW)
    assert [(c.id, c.document) for c in queue.pending()] == [
        (first, {"kind": "request_sync", "body": {"type": "orders"}}),
        (second, {"kind": "open_form", "body": {"session_id": "tab-1"}}),
    ]
    assert queue.result(first) is None
    queue.answer(first, {"outcome": "started"}, NOW)
    assert queue.result(first) == {"outcome": "started"}
    assert [c.id for c in queue.pending()] == [second]
    assert queue.purge(NOW + timedelta(minutes=1)) == 1
    assert queue.result(first) is None


def test_the_live_state_is_the_latest_published(cluster: Cluster) -> None:
    assert cluster.live.read() is None
    cluster.live.publish("a", 1, {"sessions": 1}, NOW)
    cluster.live.publish("a", 1, {"sessions": 2}, NOW + timedelta(seconds=1))
    assert cluster.live.read() == ({"sessions": 2}, NOW + timedelta(seconds=1))


def test_a_fenced_page_write_fails_once_another_process_holds_the_role(
    sql_engine: Engine,
) -> None:
    leases = SqlLeaseStore(sql_engine)
    fence = SqlRoleFence(sql_engine)
    mirror = SqlMirrorStore(sql_engine, fence=fence)
    runs = SqlRunStore(sql_engine)
    spec = SPECS[SyncType.CUSTOMERS]
    lease = leases.acquire("a", NOW, TTL)
    assert lease is not None
    run = runs.start(SyncType.CUSTOMERS, SyncMode.FULL, trigger=Trigger.MANUAL, since=None, at=NOW)

    def build(existing: HashLookup) -> PageWrite:
        return PageWrite(run.id, spec, [], [], Checkpoint(pages=1), NOW)

    with pytest.raises(LostRoleError, match="does not hold"):
        mirror.write_page(spec, run.id, [], build, mark_seen=True)
    fence.hold("a", lease.epoch)
    mirror.write_page(spec, run.id, [], build, mark_seen=True)
    leases.acquire("b", NOW + timedelta(seconds=30), TTL)
    with pytest.raises(LostRoleError, match="lost the orchestrator role"):
        mirror.write_page(spec, run.id, [], build, mark_seen=True)
    fence.drop()
    with pytest.raises(LostRoleError, match="does not hold"):
        mirror.write_page(spec, run.id, [], build, mark_seen=True)


async def test_a_new_command_is_heard_at_once_where_the_store_can_tell(
    cluster: Cluster,
) -> None:
    queue = cluster.commands
    try:
        await queue.wait_for_work(0.01)  # starts listening where the store can
        waiting = asyncio.ensure_future(queue.wait_for_work(5.0))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await asyncio.to_thread(queue.submit, {"kind": "request_sync"}, NOW)
        if isinstance(queue, SqlCommandQueue) and not queue.announces:
            waiting.cancel()
            return  # SQLite: the holder looks on its own every tick
        await asyncio.wait_for(waiting, 2.0)
        assert time.monotonic() - started < 1.0
    finally:
        await queue.aclose()
