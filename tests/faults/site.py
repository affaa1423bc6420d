"""One deployment under faults: a demo ERP process and an ``erpsync serve`` process on a
SQLite database of their own, and the calls the fault tests make to them."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.tables import quarantine
from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.domain.types import SyncType
from erpsync.services.accounts import Accounts
from tests.crash.deployment import (
    TICKER_NEVER_S,
    Api,
    Erp,
    bearer,
    erpsync_settings,
    start_serve,
)
from tests.crash.processes import Processes, Server, answers, child_env, wait_until
from tests.support import free_port

Json = dict[str, Any]

#: Limits low enough that reaching them stays fast; every test reads them from here.
RETRY_ATTEMPTS = 4
ERP_TIMEOUT_S = 0.5
PAGE_DEADLINE_S = 2.0
MAX_RUN_TIME_S = 30.0
SMART_SYNC_ANSWER_S = 5.0
#: What every service of these tests runs with; a test may change any of it.
BASE_SETTINGS = {
    "erp_timeout_s": str(ERP_TIMEOUT_S),
    "erp_retry_attempts": str(RETRY_ATTEMPTS),
    "page_deadline_s": str(PAGE_DEADLINE_S),
    "max_run_time_s": str(MAX_RUN_TIME_S),
    "smart_sync_answer_s": str(SMART_SYNC_ANSWER_S),
}
SYNC_TIMEOUT_S = 30.0
AGENT_CODE = "A01"
ALL_TYPES = tuple(SyncType)


@dataclass(frozen=True)
class Template:
    """A migrated database holding an admin and an agent, copied for each test: migrating
    and hashing passwords costs seconds, once is enough."""

    database: Path
    admin_token: str
    agent_token: str


def make_template(root: Path) -> Template:
    """The users as ``erpsync users add`` and ``users token`` make them, without paying
    four process start-ups for it."""
    database = root / "template.db"
    engine = build_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        accounts = Accounts(SqlUserStore(engine), Passwords(), SystemClock())
        accounts.add_user("ufficio", secrets.token_urlsafe(16), admin=True)
        accounts.add_user("rossi", secrets.token_urlsafe(16), agent_code=AGENT_CODE)
        tokens = [accounts.issue_token(name, "fault tests") for name in ("ufficio", "rossi")]
    finally:
        engine.dispose()
    return Template(database, *tokens)


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with its write-ahead log folded in."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def launch_demo_erp(processes: Processes, token: str, port: int) -> Erp:
    """Start the demo ERP (instant, no background changes) on ``port`` with ``token``,
    without waiting for it: the service needs only its address to start beside it."""
    env = child_env(
        {
            "ERPSYNC_DEMO_ERP_PROFILE": "instant",
            "ERPSYNC_DEMO_ERP_TICKER_S": str(TICKER_NEVER_S),
            "ERPSYNC_ERP_TOKEN": token,
        }
    )
    process = processes.start("demo-erp", ["demo-erp", "--port", str(port)], env)
    return Erp(Server(process, f"http://127.0.0.1:{port}"), token)


def wait_erp_ready(erp: Erp, timeout_s: float = 20) -> None:
    """Wait until this ERP (its token tells it from another on a recycled port) answers."""
    process, url = erp.server.process, erp.server.url

    def ready() -> bool | None:
        if not process.alive():
            raise AssertionError(f"the demo ERP on {url} stopped:\n{process.log_tail()}")
        return True if answers(f"{url}/admin/stats", bearer(erp.token)) else None

    wait_until(ready, f"the demo ERP answers on {url}", timeout_s)


@dataclass
class FaultSite:
    """The demo ERP and one ``erpsync serve``, with the faults and checks the tests use."""

    processes: Processes
    erp: Erp
    settings: dict[str, str]
    engine: Engine
    server: Server
    admin_token: str
    agent_token: str

    @property
    def admin(self) -> Api:
        return Api(self.server.url, self.admin_token)

    @property
    def agent(self) -> Api:
        return Api(self.server.url, self.agent_token)

    # -- the ERP ----------------------------------------------------------------------------

    def faults(self, **settings: float) -> Json:
        """Put exactly these faults in force (none without arguments)."""
        answer: Json = self.erp.request("PUT", "/admin/faults", json=settings).json()
        return answer

    def erp_stats(self) -> Json:
        return self.erp.stats()

    def kill_erp(self) -> None:
        self.erp.server.process.kill()

    def restart_erp(self) -> None:
        """The ERP back on its port, with its token: the same seed makes the same data."""
        url = self.erp.server.url
        port = int(url.rsplit(":", 1)[1])
        erp = launch_demo_erp(self.processes, self.erp.token, port)
        wait_erp_ready(erp)
        self.erp = erp

    def wait_erp_free(self, timeout_s: float = 15) -> None:
        """Wait until no request holds the ERP's one session: a page the service gave up on
        (its client timed out, or the watchdog ended the run) is still served to its end, and
        until then the ERP turns every other request away with 409."""
        wait_until(
            lambda: True if not self.erp_stats()["in_flight"] else None,
            "the ERP's session is free",
            timeout_s,
        )

    # -- the service ------------------------------------------------------------------------

    def request(self, types: Iterable[SyncType], mode: str = "full") -> None:
        for type in types:
            self.admin.request_sync(type, mode)

    def sync(self, types: Iterable[SyncType] = ALL_TYPES, mode: str = "full") -> None:
        """Ask for syncs of ``types`` and wait until nothing runs or waits."""
        self.request(types, mode)
        self.admin.wait_idle(SYNC_TIMEOUT_S)

    def runs(self) -> list[Json]:
        """Every run, newest first."""
        return self.admin.runs()

    def runs_after(self, run_id: int) -> list[Json]:
        """The runs begun after run ``run_id``, oldest first."""
        return sorted((r for r in self.runs() if r["id"] > run_id), key=lambda r: r["id"])

    def last_run_id(self) -> int:
        found = self.runs()
        return found[0]["id"] if found else 0

    def service_log(self, action: str) -> list[str]:
        """The service's log lines for ``action``, as an operator reads them."""
        text = self.server.process.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if f"action={action} " in line]

    def open_form(self, session_id: str) -> tuple[Json, float]:
        """Open an order form as the agent; its answer and how long it took to come."""
        began = time.monotonic()
        response = self.agent.call(
            "POST",
            "/api/customers/smart-sync",
            json={"session_id": session_id, "instance": f"{session_id}-load1"},
        )
        took = time.monotonic() - began
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body, took

    def close_form(self, session_id: str) -> None:
        response = self.agent.call(
            "POST",
            "/api/customers/resume-syncs",
            json={"session_id": session_id, "instance": f"{session_id}-load1"},
        )
        assert response.status_code == 200, response.text

    def quarantined(self, run_id: int) -> list[Json]:
        query = select(quarantine).where(quarantine.c.run_id == run_id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def service_settings(
    database_url: str, erp: Erp, data_dir: Path, changes: Mapping[str, str]
) -> dict[str, str]:
    return erpsync_settings(database_url, erp, data_dir, **{**BASE_SETTINGS, **changes})


def start_site(
    processes: Processes,
    template: Template,
    root: Path,
    changes: Mapping[str, str],
) -> FaultSite:
    """A fresh ERP and a service on a copy of the template database, started side by side."""
    database = root / "erpsync.db"
    copy_database(template.database, database)
    database_url = f"sqlite:///{database}"
    erp = launch_demo_erp(processes, f"erp-{secrets.token_hex(8)}", free_port())
    settings = service_settings(database_url, erp, root / "data", changes)
    server = start_serve(processes, "serve", settings, template.admin_token)
    wait_erp_ready(erp)
    return FaultSite(
        processes,
        erp,
        settings,
        build_engine(database_url),
        server,
        template.admin_token,
        template.agent_token,
    )


@contextmanager
def deployment(template: Template, root: Path, **changes: str) -> Iterator[FaultSite]:
    """An ERP and a service with settings changed by name, killed when the block ends."""
    with Processes(root) as processes:
        site = start_site(processes, template, root, changes)
        try:
            yield site
        finally:
            site.engine.dispose()


#: Starts the test's deployment with settings changed by name.
OpenSite = Callable[..., FaultSite]
