"""The real app for browser tests: uvicorn on a free loopback port, in a thread with its own
event loop, next to its embedded demo ERP; and what the tests read back from it."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from erpsync.bootstrap import Services
from erpsync.settings import load_settings
from erpsync.web.app import SESSION_COOKIE, create_app
from tests.support import free_port

COORDINATION = "erpsync.coordination"
STARTUP_DEADLINE_S = 30.0
POLL_S = 0.05
_agents = count(1)


class CoordinationLog(logging.Handler):
    """Keeps the coordination log lines, with the thread (the app) that wrote each."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self._lines.append((record.threadName or "", record.getMessage()))

    def lines(self, thread: str) -> list[str]:
        with self._lock:
            return [message for name, message in self._lines if name == thread]


@contextmanager
def coordination_log() -> Iterator[CoordinationLog]:
    logger = logging.getLogger(COORDINATION)
    handler = CoordinationLog()
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def fields(line: str) -> dict[str, str]:
    """``action=x key=value …`` as a dict (values without spaces, as the tests use them)."""
    return dict(re.findall(r"(\w+)=(\S+)", line))


@dataclass
class Agent:
    name: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class LiveApp:
    """One running erpsync with its demo ERP."""

    thread: str
    url: str
    erp_url: str
    services: Services
    log: CoordinationLog
    admin: Agent
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, who: Agent | None = None, **headers: str) -> httpx.Client:
        base = who.headers if who else {}
        client = httpx.Client(base_url=self.url, headers={**base, **headers}, timeout=30)
        self.clients.append(client)
        return client

    @property
    def api(self) -> httpx.Client:
        if not self.clients:
            self.client(self.admin)
        return self.clients[0]

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.api.get("/api/sync/status").raise_for_status().json()
        return status

    def smart(self) -> dict[str, Any]:
        smart: dict[str, Any] = self.status()["smartSync"]
        return smart

    def type_status(self, type: str) -> dict[str, Any]:
        return next(t for t in self.status()["types"] if t["type"] == type)

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
        """Poll ``check`` until it returns something truthy, for at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up after {timeout} s waiting for {what}")
            time.sleep(POLL_S)

    def wait_sessions(self, sessions: int, *, paused: bool, timeout: float = 10.0) -> None:
        def reached() -> bool:
            smart = self.smart()
            return smart["activeSessions"] == sessions and smart["syncsPaused"] is paused

        self.wait_for(reached, f"{sessions} session(s), paused={paused}", timeout)

    def wait_idle(self, timeout: float = 60.0) -> dict[str, Any]:
        def idle() -> dict[str, Any] | None:
            status = self.status()
            return status if status["current"] is None and not status["queue"] else None

        result: dict[str, Any] = self.wait_for(idle, "no sync running or queued", timeout)
        return result

    def log_lines(self) -> list[str]:
        return self.log.lines(self.thread)

    def wait_log(self, action: str, after: int, timeout: float = 10.0, **match: str) -> str:
        """The first ``action=…`` line logged after position ``after`` with the given fields."""

        def found() -> str | None:
            for line in self.log_lines()[after:]:
                got = fields(line)
                if got.get("action") == action and all(got.get(k) == v for k, v in match.items()):
                    return line
            return None

        line: str = self.wait_for(found, f"log action={action} {match}", timeout)
        return line

    def new_agent(self, agent_code: str = "A01") -> Agent:
        """A fresh agent with no drafts yet, and an API token."""
        name = f"agent{next(_agents)}-{agent_code.lower()}"
        password = f"pw-{name}"
        accounts = self.services.accounts
        accounts.add_user(name, password, agent_code=agent_code)
        return Agent(name, password, accounts.issue_token(name, "e2e"))

    def session_cookie(self, who: Agent) -> dict[str, Any]:
        """Sign in through ``POST /login`` and return the session cookie for a browser."""
        with httpx.Client(base_url=self.url, headers={"Origin": self.url}) as client:
            answer = client.post("/login", data={"username": who.name, "password": who.password})
            assert answer.status_code == 303, answer.text
            value = client.cookies[SESSION_COOKIE]
        return {
            "name": SESSION_COOKIE,
            "value": value,
            "domain": "127.0.0.1",
            "path": "/",
            "httpOnly": True,
            "sameSite": "Lax",
        }

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()


def _serve(app: Any, port: int, thread_name: str) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        loop="asyncio",
        http="h11",
        ws="none",
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=thread_name, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"{thread_name}: the app did not start")
        time.sleep(POLL_S)
    return server, thread


@contextmanager
def live_app(
    name: str, data_dir: Path, log: CoordinationLog, **overrides: Any
) -> Iterator[LiveApp]:
    """Serve erpsync with the embedded demo ERP (instant profile, no ticker, no scheduler)."""
    port, erp_port = free_port(), free_port()
    settings = load_settings(
        database_url=f"sqlite:///{data_dir}/erpsync.db",
        data_dir=data_dir,
        port=port,
        demo_erp_port=erp_port,
        demo_erp_profile="instant",
        demo_erp_ticker_s=None,
        scheduler=False,
        **overrides,
    )
    app = create_app(settings)
    thread = f"e2e-{name}"
    server, runner = _serve(app, port, thread)
    services: Services = app.state.services
    try:
        services.accounts.add_user("e2e-admin", "pw-e2e-admin", admin=True)
        admin = Agent("e2e-admin", "pw-e2e-admin", services.accounts.issue_token("e2e-admin"))
        live = LiveApp(
            thread, f"http://127.0.0.1:{port}", settings.effective_erp_url, services, log, admin
        )
        try:
            yield live
        finally:
            live.close_clients()
    finally:
        server.should_exit = True
        runner.join(timeout=15)
