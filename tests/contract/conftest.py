"""Each port's suite runs against every adapter: in-memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.schedules import SqlScheduleStore
from erpsync.ports import MirrorStore, RunStore, ScheduleStore
from erpsync.testing import InMemoryMirrorStore, InMemoryRunStore, InMemoryScheduleStore


@dataclass
class Stores:
    mirror: MirrorStore
    runs: RunStore
    schedules: ScheduleStore

    @classmethod
    def on(cls, engine: Engine) -> Stores:
        """The SQL adapters, all on ``engine``."""
        return cls(SqlMirrorStore(engine), SqlRunStore(engine), SqlScheduleStore(engine))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "memory":
        runs = InMemoryRunStore()
        return Stores(InMemoryMirrorStore(runs), runs, InMemoryScheduleStore())
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return Stores.on(engine)
