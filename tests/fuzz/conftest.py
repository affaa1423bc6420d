"""The real erpsync app for the API fuzz suite: served over loopback HTTP with its embedded demo
ERP, its mirror filled once, an agent and an admin each with a bearer token and two drafts."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from erpsync.adapters.db.engine import normalise_url
from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.conftest import POSTGRES_URL_ENV, postgres_admin_url
from tests.fuzz.data import AGENT_CODE, DRAFT_IDS, FREE_PRODUCTS, MY_CUSTOMERS, OTHER_CUSTOMERS
from tests.fuzz.findings import FINDINGS, format_findings
from tests.support import free_port, serve_in_thread

#: How long the first full sync of the embedded demo ERP may take (instant profile).
SYNC_DEADLINE_S = 120.0


@dataclass(frozen=True)
class User:
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class FuzzApp:
    database: str
    url: str
    users: dict[str, User] = field(repr=False)
    #: What the live app serves at /openapi.json.
    document: dict[str, Any] = field(repr=False)
    #: The exceptions behind the app's 500 answers, as its error handler logs them.
    crashes: ServerCrashes = field(repr=False)


class ServerCrashes(logging.Handler):
    """Keeps the exception of each ``action=request_failed`` the app logs, so a 500 finding
    can say what went wrong inside (requests are sent one at a time)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.last = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            )

    def take(self) -> str | None:
        last, self.last = self.last, None
        return last


def _wait_idle(client: httpx.Client) -> None:
    deadline = time.monotonic() + SYNC_DEADLINE_S
    while time.monotonic() < deadline:
        status = client.get("/api/sync/status").raise_for_status().json()
        if status["current"] is None and not status["queue"]:
            failed = [t["type"] for t in status["types"] if t["status"] != "completed"]
            assert not failed, f"the first full sync failed for {failed}"
            return
        time.sleep(0.1)
    raise AssertionError("the first full sync never finished")


def _check_demo_records(client: httpx.Client, agent: User) -> None:
    """The records the fuzzer names (tests.fuzz.data) are in the mirror, visible as expected."""
    for code in MY_CUSTOMERS:
        found = client.get("/api/customers", params={"q": code}, headers=agent.headers).json()
        assert [c["code"] for c in found["customers"]] == [code], f"agent does not see {code}"
    for code in OTHER_CUSTOMERS:
        found = client.get("/api/customers", params={"q": code}, headers=agent.headers).json()
        assert found["customers"] == [], f"agent sees {code} of another agent"
    for code in FREE_PRODUCTS:
        prices = client.get(f"/api/products/{code}/prices", headers=agent.headers)
        assert prices.status_code == 200, f"product {code}: {prices.text}"


def _seed_drafts(client: httpx.Client, user: User) -> None:
    for n, draft_id in enumerate(DRAFT_IDS[user.role]):
        line = {"product_code": FREE_PRODUCTS[n], "qty": 3, "unit_price": "9.90"}
        body = {"id": draft_id, "customer_code": MY_CUSTOMERS[n], "lines": [line]}
        saved = client.post("/api/drafts", json=body, headers=user.headers)
        assert saved.status_code == 201, saved.text


@pytest.fixture(scope="package")
def fuzz_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of the fuzz suite's own, created and dropped like
    ``postgres_database``: the fuzzer leaves users, drafts and schedule changes behind that the
    other PostgreSQL tests sharing the session's database should not find."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"set {POSTGRES_URL_ENV} to run the PostgreSQL tests")
    name = f"erpsync_fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    scope="package", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzz_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzApp]:
    """erpsync with its embedded demo ERP (instant, no ticker, no scheduler) on a free port.

    Real HTTP rather than in-process ASGI: schemathesis' ASGI transport opens a client, and with
    it the app's lifespan (the demo ERP, the orchestrator), for every single request.
    """
    data_dir: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        database = f"sqlite:///{data_dir}/erpsync.db"
    else:
        database = request.getfixturevalue("fuzz_postgres_url")
    settings = load_settings(
        database_url=database,
        data_dir=data_dir,
        demo_erp_port=free_port(),
        demo_erp_profile="instant",
        demo_erp_ticker_s=None,
        scheduler=False,
        demo_users=False,
    )
    app = create_app(settings)
    crashes = ServerCrashes()
    errors = logging.getLogger("erpsync.web.errors")
    access = logging.getLogger("uvicorn.access")
    access_level = access.level
    errors.addHandler(crashes)
    with serve_in_thread(app) as url:
        # thousands of access lines would bury every failure report (the embedded demo ERP's
        # server sets the shared uvicorn access logger to INFO when it starts)
        access.setLevel(logging.WARNING)
        accounts = app.state.services.accounts
        accounts.add_user("fuzz-agent", "fuzz-agent-password", agent_code=AGENT_CODE)
        accounts.add_user("fuzz-admin", "fuzz-admin-password", admin=True)
        users = {
            "agent": User("agent", accounts.issue_token("fuzz-agent", "fuzz")),
            "admin": User("admin", accounts.issue_token("fuzz-admin", "fuzz")),
        }
        with httpx.Client(base_url=url, headers=users["admin"].headers, timeout=60) as client:
            client.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
            _wait_idle(client)
            document = client.get("/openapi.json").raise_for_status().json()
            _check_demo_records(client, users["agent"])
            for user in users.values():
                _seed_drafts(client, user)
        try:
            yield FuzzApp(request.param, url, users, document, crashes)
        finally:
            errors.removeHandler(crashes)
            access.setLevel(access_level)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A fuzz test records its failures (see ``findings``); fail it with all of them at the end."""
    if not getattr(getattr(item, "test_function", None), "records_findings", False):
        return (yield)
    with FINDINGS.collecting(item.nodeid) as found:
        result = yield
    if found:
        pytest.fail(
            f"{len(found)} distinct failure(s):\n{format_findings(list(found.values()))}",
            pytrace=False,
        )
    return result


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FINDINGS.requests:
        terminalreporter.line(f"API fuzz: {FINDINGS.requests} generated requests sent")
    grouped = FINDINGS.grouped()
    if grouped:
        terminalreporter.section(f"API fuzz findings: {len(grouped)} distinct")
        terminalreporter.line(format_findings(grouped))
