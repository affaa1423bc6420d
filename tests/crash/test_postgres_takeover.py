"""SIGKILL of the replica holding the orchestrator role, mid full sync, on PostgreSQL.

Two ``erpsync serve`` replicas share one database and one demo ERP. The holder of the role
starts a slowed full products sync and is killed once a few pages are written; the survivor
must take the role within the lease and carry the same run on from its checkpoint. The
takeover runs once; the tests below judge what it left, one property each.

A replica sees at once that a holder on its own host is gone (its pid no longer exists);
one on another host it can only outwait, until the lease runs out. Where this machine lets a
process have a host name of its own, the holder runs under another one, so the takeover goes
the way it goes between machines.
"""

from __future__ import annotations

import math
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.tables import metadata
from erpsync.domain.catalog import SPECS
from erpsync.domain.types import SyncType
from tests.crash.deployment import Api, add_user, erpsync_settings, start_erp, start_serve
from tests.crash.mirror_check import RunRow, mirror_differences, run, runs
from tests.crash.processes import Processes, wait_until

pytestmark = pytest.mark.postgres

ROLE_LEASE_S = 5
TYPE = SyncType.PRODUCTS
SLOW_PAGE_S = 0.3
PAGES_BEFORE_KILL = 3
#: How long the survivor has, once it holds the role, to finish the killed run by itself.
RESUME_BY_ITSELF_S = 5
SYNC_TIMEOUT_S = 30
#: Runs the rest of the command with a host name of its own (``sh`` execs it: same pid).
ELSEWHERE = ("unshare", "--uts", "sh", "-c", 'hostname erpsync-elsewhere && exec "$@"', "sh")


def can_run_elsewhere() -> bool:
    try:
        subprocess.run([*ELSEWHERE, "true"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@dataclass
class Takeover:
    """What killing the holder left behind."""

    killed: RunRow
    #: The holder's node name (host:pid:…), as its status showed it.
    holder: str
    took_role_after_s: float | None = None
    resumed_by_itself: bool = False
    type_status_meanwhile: str | None = None
    killed_at_end: RunRow | None = None
    runs_begun_instead: list[RunRow] = field(default_factory=list)
    #: Pages of the type the ERP served after the kill, and the pages of a whole pass.
    asked_after_kill: int = 0
    pages_of_type: int = 0
    ids_in_api: dict[int, str] = field(default_factory=dict)
    running_at_end_api: list[str] = field(default_factory=list)
    running_at_end_db: list[str] = field(default_factory=list)
    mirror_differences: dict[str, str] = field(default_factory=dict)


def empty_database(url: str) -> None:
    """The session's database, migrated and emptied: the other PostgreSQL tests share it."""
    engine = build_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


def holder_of_the_role(replicas: dict[str, Api]) -> str | None:
    holding = [n for n, api in replicas.items() if api.status()["orchestrator"]["holdsRole"]]
    return holding[0] if len(holding) == 1 else None


def kill_the_holder(processes: Processes, engine: Engine, database: str, root: Path) -> Takeover:
    erp = start_erp(processes)
    settings = erpsync_settings(
        database,
        erp,
        root / "data",
        role_lease_s=str(ROLE_LEASE_S),
        session_secret="crash-tests-shared-session-secret",
    )
    token = add_user(processes, settings, "ufficio")
    elsewhere = ELSEWHERE if can_run_elsewhere() else ()
    # a starts first and takes the role: b finds it held.
    servers = {"a": start_serve(processes, "a", settings, token, prefix=elsewhere)}
    servers["b"] = start_serve(processes, "b", settings, token)
    replicas = {name: Api(server.url, token) for name, server in servers.items()}
    holder = wait_until(lambda: holder_of_the_role(replicas), "one holds the role", 15)
    (survivor,) = set(replicas) - {holder}
    node = replicas[holder].status()["orchestrator"]["node"]

    erp.slow_pages(SLOW_PAGE_S)
    replicas[holder].request_sync(TYPE)

    def pages_written() -> bool | None:
        current = replicas[holder].status()["current"]
        return True if current and current["pages"] >= PAGES_BEFORE_KILL else None

    wait_until(pages_written, f"{PAGES_BEFORE_KILL} pages of {TYPE} are written", 20)
    servers[holder].process.kill()
    killed_at = time.monotonic()
    erp.slow_pages(0)
    erp.reset_stats()
    (killed,) = runs(engine, status="running")
    found = Takeover(killed, node)

    api = replicas[survivor]
    wait_until(
        lambda: True if api.status()["orchestrator"]["holdsRole"] else None,
        f"replica {survivor} holds the role",
        ROLE_LEASE_S + 10,
    )
    found.took_role_after_s = time.monotonic() - killed_at
    try:
        wait_until(
            lambda: True if run(engine, killed.id).status == "completed" else None,
            f"replica {survivor} completes {killed} by itself",
            RESUME_BY_ITSELF_S,
        )
        found.resumed_by_itself = True
    except AssertionError:
        types = api.status()["types"]
        found.type_status_meanwhile = next(t["status"] for t in types if t["type"] == TYPE.value)
        api.request_sync(TYPE)
    api.wait_idle(SYNC_TIMEOUT_S)

    found.asked_after_kill = erp.served_since_reset(TYPE)
    found.pages_of_type = math.ceil(len(erp.keys(TYPE)) / SPECS[TYPE].page_size)
    found.killed_at_end = run(engine, killed.id)
    found.runs_begun_instead = [r for r in runs(engine) if r.id > killed.id]
    listed = api.runs()
    found.ids_in_api = {r["id"]: r["status"] for r in listed}
    found.running_at_end_api = [
        f"run {r['id']} ({r['type']})" for r in listed if r["status"] == "running"
    ]
    found.running_at_end_db = [str(r) for r in runs(engine, status="running")]
    found.mirror_differences = mirror_differences(erp, engine, [TYPE])
    return found


@pytest.fixture(scope="module")
def takeover(
    postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Takeover]:
    root: Path = tmp_path_factory.mktemp("postgres-takeover")
    empty_database(postgres_database)
    engine = build_engine(postgres_database)
    try:
        with Processes(root) as processes:
            yield kill_the_holder(processes, engine, postgres_database, root)
    finally:
        engine.dispose()
        empty_database(postgres_database)


def test_the_survivor_takes_the_role_within_the_lease_and_ten_seconds(
    takeover: Takeover,
) -> None:
    assert takeover.took_role_after_s is not None
    assert takeover.took_role_after_s <= ROLE_LEASE_S + 10, f"holder was {takeover.holder}"


def test_the_survivor_carries_the_killed_run_on_without_being_asked_again(
    takeover: Takeover,
) -> None:
    """The sync was asked for and accepted; the holder's death must not drop it."""
    assert takeover.resumed_by_itself, (
        f"{takeover.killed} was not completed {RESUME_BY_ITSELF_S} s after the survivor took "
        f"the role (the type's status meanwhile: {takeover.type_status_meanwhile}); "
        f"asked again, it ended as {takeover.killed_at_end}"
    )


def test_the_killed_run_resumes_from_its_checkpoint_as_the_same_run(takeover: Takeover) -> None:
    """The same run row completes, no other run begins, the API lists it completed, and the
    ERP is asked only for the pages after the checkpoint."""
    killed = takeover.killed
    assert takeover.killed_at_end is not None
    assert takeover.killed_at_end.status == "completed"
    assert takeover.runs_begun_instead == []
    assert takeover.ids_in_api.get(killed.id) == "completed"
    assert takeover.asked_after_kill <= takeover.pages_of_type - killed.pages + 1, (
        f"{takeover.asked_after_kill} pages asked after the kill, where {TYPE} has "
        f"{takeover.pages_of_type} and {killed.pages} were written before it"
    )


def test_after_the_takeover_the_mirror_equals_the_erp(takeover: Takeover) -> None:
    assert takeover.mirror_differences == {}


def test_no_run_is_left_running_after_the_takeover(takeover: Takeover) -> None:
    assert takeover.running_at_end_api == []
    assert takeover.running_at_end_db == []
