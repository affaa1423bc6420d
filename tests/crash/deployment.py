"""A demo ERP and erpsync services, each in a process of its own so that killing erpsync
leaves the ERP (and its data) standing, and the HTTP calls the crash tests make to them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from erpsync.domain.catalog import SPECS
from erpsync.domain.types import SyncType
from tests.crash.processes import Processes, Server, answers, child_env, wait_until

#: ``ERPSYNC_DEMO_ERP_TICKER_S`` cannot be unset from the environment (it only takes a positive
#: number), so an interval far longer than any test stands for "no background changes".
TICKER_NEVER_S = 7 * 24 * 3600
#: The largest page the ERP serves, to read it whole in few requests.
ERP_PAGE = 1000
HTTP_TIMEOUT_S = 15

Json = dict[str, Any]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Erp:
    """The demo ERP. Its token is drawn per test, so a readiness check that passes is
    answered by this test's ERP and not by another one on a recycled port."""

    server: Server
    token: str

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(
            method,
            f"{self.server.url}{path}",
            headers=bearer(self.token),
            timeout=HTTP_TIMEOUT_S,
            **kwargs,
        )
        response.raise_for_status()
        return response

    def slow_pages(self, seconds: float) -> None:
        """Every page of the source API takes ``seconds`` longer; 0 puts every fault off."""
        self.request("PUT", "/admin/faults", json={"slow_page_seconds": seconds})

    def stats(self) -> Json:
        stats: Json = self.request("GET", "/admin/stats").json()
        return stats

    def reset_stats(self) -> None:
        self.request("DELETE", "/admin/stats")

    def served_since_reset(self, type: SyncType) -> int:
        """Requests for ``type`` since the counters were reset, less those turned away
        because another session was in flight: a page asked for by a process just killed
        may still be being served (this may discount a few of another type's, never more)."""
        stats = self.stats()
        served: int = stats["requests"][type.value] - stats["overlaps"]
        return served

    def items(self, type: SyncType, timeout_s: float = 20) -> list[Json]:
        """Every item of ``type``, paged through the source contract as erpsync reads it.

        A 409 means a page asked by an erpsync that has just been killed is still being
        served: the ERP has one session, so this waits for it to end.
        """
        items: list[Json] = []
        cursor: str | None = None
        deadline = time.monotonic() + timeout_s
        while True:
            params: dict[str, str | int] = {"limit": ERP_PAGE}
            if cursor is not None:
                params["cursor"] = cursor
            response = httpx.get(
                f"{self.server.url}/api/v1/{type.value}",
                params=params,
                headers=bearer(self.token),
                timeout=HTTP_TIMEOUT_S,
            )
            if response.status_code == 409 and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            response.raise_for_status()
            page = response.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    def keys(self, type: SyncType) -> list[str]:
        key = SPECS[type].key
        return sorted(str(item[key]) for item in self.items(type))


def start_erp(processes: Processes) -> Erp:
    token = f"erp-{secrets.token_hex(8)}"
    env = child_env(
        {
            "ERPSYNC_DEMO_ERP_PROFILE": "instant",
            "ERPSYNC_DEMO_ERP_TICKER_S": str(TICKER_NEVER_S),
            "ERPSYNC_ERP_TOKEN": token,
        }
    )
    server = processes.start_server(
        "demo-erp",
        lambda port: (["demo-erp", "--port", str(port)], env),
        lambda url: answers(f"{url}/admin/stats", bearer(token)),
    )
    return Erp(server, token)


def erpsync_settings(database_url: str, erp: Erp, data_dir: Path, **extra: str) -> dict[str, str]:
    """What every erpsync process of one deployment shares (``extra`` by setting name)."""
    return {
        "ERPSYNC_DATABASE_URL": database_url,
        "ERPSYNC_ERP_URL": erp.server.url,
        "ERPSYNC_ERP_TOKEN": erp.token,
        "ERPSYNC_SCHEDULER": "false",
        "ERPSYNC_DEMO_USERS": "false",
        "ERPSYNC_DATA_DIR": str(data_dir),
        **{f"ERPSYNC_{name.upper()}": value for name, value in extra.items()},
    }


def add_user(
    processes: Processes,
    settings: Mapping[str, str],
    name: str,
    *,
    agent_code: str | None = None,
) -> str:
    """Add an admin (or, with ``agent_code``, an agent) with the CLI; their API token."""
    env = child_env(settings)
    role = ["--agent-code", agent_code] if agent_code else ["--admin"]
    processes.run(["users", "add", name, *role, "--password", secrets.token_urlsafe(16)], env)
    return processes.run(["users", "token", name, "--label", "crash tests"], env).strip()


def start_serve(
    processes: Processes,
    name: str,
    settings: Mapping[str, str],
    token: str,
    *,
    port: int | None = None,
    prefix: Sequence[str] = (),
) -> Server:
    """``erpsync serve``, ready once it answers ``/api/me`` for ``token`` (so it is this
    test's service, on this test's database)."""
    return processes.start_server(
        name,
        lambda port: (["serve"], child_env({**settings, "ERPSYNC_PORT": str(port)})),
        lambda url: answers(f"{url}/api/me", bearer(token)),
        port=port,
        prefix=prefix,
    )


@dataclass(frozen=True)
class Api:
    """erpsync's HTTP API as one signed-in user sees it."""

    url: str
    token: str

    def call(self, method: str, path: str, json: object = None) -> httpx.Response:
        return httpx.request(
            method, f"{self.url}{path}", json=json, headers=bearer(self.token), timeout=30
        )

    def get(self, path: str) -> Json:
        response = self.call("GET", path)
        response.raise_for_status()
        body: Json = response.json()
        return body

    def status(self) -> Json:
        return self.get("/api/sync/status")

    def runs(self) -> list[Json]:
        runs: list[Json] = self.get("/api/sync/runs?limit=500")["runs"]
        return runs

    def request_sync(self, type: SyncType | None, mode: str = "full") -> Json:
        """Ask for a sync of ``type`` (of all six without one)."""
        path = "/api/sync/all" if type is None else f"/api/sync/{type.value}"
        response = self.call("POST", path, json={"mode": mode})
        assert response.status_code == 202, response.text
        answer: Json = response.json()
        return answer

    def idle(self) -> bool:
        status = self.status()
        return status["current"] is None and not status["queue"]

    def wait_idle(self, timeout_s: float) -> None:
        wait_until(lambda: True if self.idle() else None, f"{self.url} has synced", timeout_s)
