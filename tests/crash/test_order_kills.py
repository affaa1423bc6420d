"""An order survives the worst moment: SIGKILL after the ERP created it and before erpsync
heard back (SPEC §2.13, scenario 15).

The demo ERP is told to lose its next answer: it commits the order, keeps the key, then hangs
before answering. While erpsync waits, the process is killed. On SQLite the same service is
started again; on PostgreSQL "Invia" goes through the replica that does not hold the role,
the holder is the one killed and the other takes over. Either way the ERP must end with one
order for the draft, and the draft placed with that order's number.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from erpsync.domain.types import SyncType
from tests.crash.deployment import Api, Erp, add_user, erpsync_settings, start_erp, start_serve
from tests.crash.processes import Processes, wait_until
from tests.crash.test_postgres_takeover import empty_database, holder_of_the_role

Json = dict[str, Any]
#: The ERP hangs this long after its commit; erpsync waits up to WRITE_TIMEOUT_S for it.
LOST_ANSWER_S = 60
WRITE_TIMEOUT_S = 45
ROLE_LEASE_S = 5


def draft_body(agent: Api, draft_id: str) -> Json:
    """A draft the ERP takes: the agent's first customer, a product at its list price."""
    customer = agent.get("/api/customers?limit=1")["customers"][0]
    product = agent.get("/api/products?limit=20")["products"][0]
    price = agent.get(f"/api/products/{product['code']}/prices")["proposed"]["unitPrice"]
    step = math.lcm(product["multipleQty"] or 1, product["packageSize"] or 1)
    qty = step * max(1, math.ceil((product["minQty"] or 1) / step))
    return {
        "id": draft_id,
        "customer_code": customer["code"],
        "lines": [{"product_code": product["code"], "qty": qty, "unit_price": price}],
    }


def erp_orders(erp: Erp, reference: str) -> list[Json]:
    return [o for o in erp.items(SyncType.ORDERS) if o.get("client_reference") == reference]


def send_and_kill(erp: Erp, agent: Api, draft_id: str, kill: Any) -> None:
    """Send the draft with the ERP losing its answer; kill once the ERP holds the order."""
    created = erp.stats()["orders_created"]
    erp.request(
        "PUT", "/admin/faults", json={"lose_answer_next": 1, "timeout_seconds": LOST_ANSWER_S}
    )
    answer = agent.call("POST", f"/api/drafts/{draft_id}/submit")
    assert answer.status_code == 202, answer.text
    wait_until(
        lambda: True if erp.stats()["orders_created"] == created + 1 else None,
        "the ERP created the order",
        20,
    )
    state = agent.get(f"/api/drafts/{draft_id}")["submission"]["state"]
    assert state == "sending", f"erpsync has not heard back yet, the draft shows {state}"
    kill()
    erp.request("PUT", "/admin/faults", json={})


def placed(agent: Api, draft_id: str) -> Json:
    def decided() -> Json | None:
        submission: Json = agent.get(f"/api/drafts/{draft_id}")["submission"]
        return submission if submission["state"] in ("placed", "rejected") else None

    result: Json = wait_until(decided, f"{draft_id} is decided", 30)
    return result


@dataclass
class Outcome:
    submission: Json
    orders: list[Json]
    replayed: int


def sqlite_kill(processes: Processes, root: Path) -> Outcome:
    erp = start_erp(processes)
    settings = erpsync_settings(
        f"sqlite:///{root}/erpsync.db",
        erp,
        root / "data",
        erp_write_timeout_s=str(WRITE_TIMEOUT_S),
    )
    admin = add_user(processes, settings, "ufficio")
    agent_token = add_user(processes, settings, "anna", agent_code="A01")
    server = start_serve(processes, "serve", settings, admin)
    Api(server.url, admin).request_sync(None)
    Api(server.url, admin).wait_idle(30)
    agent = Api(server.url, agent_token)
    created = agent.call("POST", "/api/drafts", json=draft_body(agent, "draft-killed-01"))
    assert created.status_code == 201, created.text

    send_and_kill(erp, agent, "draft-killed-01", server.process.kill)
    port = int(server.url.rsplit(":", 1)[1])
    server = start_serve(processes, "serve-again", settings, admin, port=port)
    agent = Api(server.url, agent_token)
    submission = placed(agent, "draft-killed-01")
    return Outcome(submission, erp_orders(erp, "draft-killed-01"), erp.stats()["orders_replayed"])


def postgres_takeover(processes: Processes, database: str, root: Path) -> Outcome:
    erp = start_erp(processes)
    settings = erpsync_settings(
        database,
        erp,
        root / "data",
        role_lease_s=str(ROLE_LEASE_S),
        erp_write_timeout_s=str(WRITE_TIMEOUT_S),
        session_secret="crash-tests-shared-session-secret",
    )
    admin = add_user(processes, settings, "ufficio")
    agent_token = add_user(processes, settings, "anna", agent_code="A01")
    servers = {"a": start_serve(processes, "a", settings, admin)}
    servers["b"] = start_serve(processes, "b", settings, admin)
    replicas = {name: Api(server.url, admin) for name, server in servers.items()}
    holder = wait_until(lambda: holder_of_the_role(replicas), "one holds the role", 15)
    (other,) = set(replicas) - {holder}
    replicas[holder].request_sync(None)
    replicas[holder].wait_idle(30)
    agent = Api(servers[other].url, agent_token)  # "Invia" through the one without the role
    created = agent.call("POST", "/api/drafts", json=draft_body(agent, "draft-failover-01"))
    assert created.status_code == 201, created.text

    send_and_kill(erp, agent, "draft-failover-01", servers[holder].process.kill)
    wait_until(
        lambda: True if replicas[other].status()["orchestrator"]["holdsRole"] else None,
        f"replica {other} takes the role",
        ROLE_LEASE_S + 15,
    )
    submission = placed(agent, "draft-failover-01")
    return Outcome(submission, erp_orders(erp, "draft-failover-01"), erp.stats()["orders_replayed"])


@pytest.fixture(scope="module")
def after_sqlite_kill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    root: Path = tmp_path_factory.mktemp("order-kill")
    with Processes(root) as processes:
        yield sqlite_kill(processes, root)


@pytest.fixture(scope="module")
def after_takeover(
    postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Outcome]:
    root: Path = tmp_path_factory.mktemp("order-takeover")
    empty_database(postgres_database)
    try:
        with Processes(root) as processes:
            yield postgres_takeover(processes, postgres_database, root)
    finally:
        empty_database(postgres_database)


def test_killed_between_the_erps_commit_and_the_record_one_order_and_the_draft_placed(
    after_sqlite_kill: Outcome,
) -> None:
    outcome = after_sqlite_kill
    assert len(outcome.orders) == 1, "exactly one ERP order"
    assert outcome.submission["state"] == "placed"
    assert outcome.submission["erpNumber"] == outcome.orders[0]["number"]
    assert outcome.replayed >= 1, "the restarted service repeated the key"


@pytest.mark.postgres
def test_the_holder_killed_mid_submission_the_other_replica_places_it_once(
    after_takeover: Outcome,
) -> None:
    outcome = after_takeover
    assert len(outcome.orders) == 1, "exactly one ERP order"
    assert outcome.submission["state"] == "placed"
    assert outcome.submission["erpNumber"] == outcome.orders[0]["number"]
    assert outcome.replayed >= 1, "the new holder repeated the key"
