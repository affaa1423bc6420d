"""Orders to the ERP over real HTTP: erpsync and its demo ERP, the write contract, its faults.

The ERP's own statistics are the judge: how many orders it created, how many repeats it
answered with the order it already had, and that no two sessions ever overlapped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live_app import Agent, LiveApp, coordination_log, live_app
from tests.integration.sign_in import draft_body

#: The app gives an order's answer this long before it takes it as lost.
WRITE_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    data_dir: Path = tmp_path_factory.mktemp("orders")
    with (
        coordination_log() as log,
        live_app(
            "orders", data_dir, log, demo_users=False, erp_write_timeout_s=WRITE_TIMEOUT_S
        ) as app,
    ):
        app.api.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
        app.wait_idle()
        yield app


@pytest.fixture(scope="module")
def erp(app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=app.erp_url, headers={"Authorization": "Bearer demo-token"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def agent(app: LiveApp) -> httpx.Client:
    return app.client(app.new_agent("A01"))


@pytest.fixture(autouse=True)
def _no_faults_left(erp: httpx.Client) -> Iterator[None]:
    yield
    erp.put("/admin/faults", json={}).raise_for_status()


def new_draft(agent: httpx.Client, **change: Any) -> dict[str, Any]:
    body = {**draft_body(agent, f"draft-{uuid.uuid4().hex[:12]}"), **change}
    created = agent.post("/api/drafts", json=body)
    assert created.status_code == 201, created.text
    draft: dict[str, Any] = created.json()["draft"]
    assert draft["submission"] is None
    return draft


def settled(app: LiveApp, agent: httpx.Client, draft_id: str) -> dict[str, Any]:
    """The draft once its submission was placed or refused."""

    def decided() -> dict[str, Any] | None:
        draft: dict[str, Any] = agent.get(f"/api/drafts/{draft_id}").json()
        state = draft["submission"] and draft["submission"]["state"]
        return draft if state in ("placed", "rejected") else None

    result: dict[str, Any] = app.wait_for(decided, f"{draft_id} placed or refused", 20)
    return result


def erp_orders(erp: httpx.Client, reference: str) -> list[dict[str, Any]]:
    """The ERP's orders carrying ``reference``, read through its own source contract."""
    found, cursor = [], None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = erp.get("/api/v1/orders", params=params).raise_for_status().json()
        found += [o for o in page["items"] if o.get("client_reference") == reference]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def stats(erp: httpx.Client) -> dict[str, Any]:
    answer: dict[str, Any] = erp.get("/admin/stats").raise_for_status().json()
    return answer


def test_invia_places_the_order_and_the_orders_sync_brings_it_back(
    app: LiveApp, agent: httpx.Client, erp: httpx.Client
) -> None:
    draft = new_draft(agent)
    answer = agent.post(f"/api/drafts/{draft['id']}/submit")
    assert answer.status_code == 202, answer.text
    assert answer.json()["submission"]["state"] in ("queued", "sending", "placed")
    placed = settled(app, agent, draft["id"])["submission"]
    assert placed["state"] == "placed" and placed["erpNumber"].startswith("OV")
    [order] = erp_orders(erp, draft["id"])
    assert order["number"] == placed["erpNumber"]
    assert order["agent_code"] == "A01" and order["customer_code"] == draft["customerCode"]
    assert agent.get("/api/drafts").json()["count"] == 0, "a placed draft is no longer a bozza"
    change = draft_body(agent, draft["id"], notes="troppo tardi")
    del change["id"]
    changed = agent.put(f"/api/drafts/{draft['id']}", json=change)
    assert changed.status_code == 409, "a placed draft is read-only"
    assert f"is ERP order {placed['erpNumber']}" in changed.json()["error"]
    assert agent.delete(f"/api/drafts/{draft['id']}").status_code == 409
    erp.patch(f"/admin/orders/{placed['erpNumber']}", json={"state": "confermato"})
    app.api.post("/api/sync/orders", json={}).raise_for_status()
    app.wait_idle()
    again = agent.get(f"/api/drafts/{draft['id']}").json()["submission"]
    assert (again["erpNumber"], again["erpState"]) == (placed["erpNumber"], "confermato")


def test_a_lost_answer_is_sent_again_and_the_erp_holds_one_order(
    app: LiveApp, agent: httpx.Client, erp: httpx.Client
) -> None:
    """The ERP creates the order, then its answer never arrives (the app gives up after
    ``WRITE_TIMEOUT_S``): the app repeats the key and gets the same order back."""
    before = stats(erp)
    erp.put("/admin/faults", json={"lose_answer_next": 1, "timeout_seconds": 3}).raise_for_status()
    draft = new_draft(agent)
    agent.post(f"/api/drafts/{draft['id']}/submit").raise_for_status()
    placed = settled(app, agent, draft["id"])["submission"]
    assert placed["state"] == "placed"
    [order] = erp_orders(erp, draft["id"])
    assert order["number"] == placed["erpNumber"]
    after = stats(erp)
    assert after["orders_created"] == before["orders_created"] + 1
    assert after["orders_replayed"] >= before["orders_replayed"] + 1
    assert after["overlaps"] == before["overlaps"], "the lost answer held no session"


def test_an_erp_failing_before_its_commit_is_tried_again(
    app: LiveApp, agent: httpx.Client, erp: httpx.Client
) -> None:
    erp.put("/admin/faults", json={"fail_before_commit_next": 2}).raise_for_status()
    draft = new_draft(agent)
    agent.post(f"/api/drafts/{draft['id']}/submit").raise_for_status()
    assert settled(app, agent, draft["id"])["submission"]["state"] == "placed"
    assert len(erp_orders(erp, draft["id"])) == 1


def test_a_refusal_shows_the_erps_reasons_and_an_edited_draft_goes_again(
    app: LiveApp, agent: httpx.Client, erp: httpx.Client
) -> None:
    draft = new_draft(agent)
    customer = draft["customerCode"]
    erp.put(f"/admin/blocked-customers/{customer}").raise_for_status()
    try:
        agent.post(f"/api/drafts/{draft['id']}/submit").raise_for_status()
        refused = settled(app, agent, draft["id"])["submission"]
        assert refused["state"] == "rejected"
        assert [r["code"] for r in refused["reasons"]] == ["customer_blocked"]
        again = agent.post(f"/api/drafts/{draft['id']}/submit")
        assert again.status_code == 409, "the same content is refused again"
        assert "change it before sending it again" in again.json()["error"]
    finally:
        erp.delete(f"/admin/blocked-customers/{customer}").raise_for_status()
    body = draft_body(agent, draft["id"], notes="richiamare prima della consegna")
    del body["id"]
    edited = agent.put(f"/api/drafts/{draft['id']}", json=body)
    assert edited.status_code == 200, "a refused draft may be changed"
    sent = agent.post(f"/api/drafts/{draft['id']}/submit")
    assert sent.status_code == 202, sent.text
    assert sent.json()["submission"]["id"] != refused["id"], "a new submission, a new key"
    assert settled(app, agent, draft["id"])["submission"]["state"] == "placed"
    assert len(erp_orders(erp, draft["id"])) == 1


def test_pressing_twice_and_sending_all_queue_each_draft_once(
    app: LiveApp, agent: httpx.Client, erp: httpx.Client
) -> None:
    drafts = [new_draft(agent) for _ in range(3)]
    first = agent.post(f"/api/drafts/{drafts[0]['id']}/submit").json()["submission"]
    twice = agent.post(f"/api/drafts/{drafts[0]['id']}/submit").json()["submission"]
    assert twice["id"] == first["id"]
    ids = [d["id"] for d in drafts]
    sent = agent.post("/api/drafts/submit", json={"ids": ids})
    assert sent.status_code == 202, sent.text
    answers = sent.json()["sent"]
    assert [a["draftId"] for a in answers] == ids
    assert answers[0]["submission"]["id"] == first["id"]
    for draft_id in ids:
        assert settled(app, agent, draft_id)["submission"]["state"] == "placed"
        assert len(erp_orders(erp, draft_id)) == 1


def test_submissions_and_syncs_interleave_without_one_overlapping_erp_session(
    app: LiveApp, erp: httpx.Client
) -> None:
    before = stats(erp)["overlaps"]
    agents: list[tuple[Agent, httpx.Client]] = []
    for _ in range(3):
        who = app.new_agent("A01")
        agents.append((who, app.client(who)))
    drafts = [(client, new_draft(client)) for _, client in agents for _ in range(2)]
    app.api.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
    for client, draft in drafts:
        client.post(f"/api/drafts/{draft['id']}/submit").raise_for_status()
    for client, draft in drafts:
        assert settled(app, client, draft["id"])["submission"]["state"] == "placed"
    app.wait_idle()
    assert stats(erp)["overlaps"] == before, "one ERP session at a time, always"
    steps = app.log_lines()
    assert any("action=order_placed" in line for line in steps)
    assert any("action=submission_queued" in line for line in steps)


def test_the_agent_code_sent_is_the_signed_in_agents_never_one_from_a_body(
    agent: httpx.Client, app: LiveApp, erp: httpx.Client
) -> None:
    draft = new_draft(agent, agent_code="A02")
    sent = agent.post(f"/api/drafts/{draft['id']}/submit", json={"agent_code": "A02"})
    assert sent.status_code == 202, sent.text
    assert settled(app, agent, draft["id"])["submission"]["state"] == "placed"
    [order] = erp_orders(erp, draft["id"])
    assert order["agent_code"] == "A01", "the signed-in agent's code, whatever a body says"
