"""What the status document and the live stream tell each user: their own form and orders in
full, everyone else's as counts and places in line."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from erpsync.domain.snapshot import OrderView
from erpsync.services.events import Event, EventAction
from erpsync.services.status import build_report
from erpsync.web import sync_json
from erpsync.web.sync_json import event_json, event_writes, orders_json
from tests.unit.adapters.test_metrics import idle_snapshot
from tests.unit.services.test_status import ROLE

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANNA, BRUNO = 7, 8


def placed_event(owner: int) -> Event:
    return Event(
        41,
        EventAction.SUBMISSION_RETRIED,
        T,
        {
            "submission": "sub-1",
            "draft": "draft-anna-0001",
            "owner": owner,
            "customer": "C000160",
            "attempt": 2,
            "cause": "ERP answered 201 without a number: {'client_reference': 'draft-anna-0001'}",
        },
    )


def test_an_agents_own_order_steps_come_whole_and_marked_mine() -> None:
    shown = event_json(placed_event(ANNA), ANNA)
    assert shown["mine"] is True
    assert (shown["draft"], shown["customer"], shown["attempt"]) == (
        "draft-anna-0001",
        "C000160",
        2,
    )
    assert "owner" not in shown, "nobody is told who owns a step"


def test_another_agents_order_steps_say_only_that_something_happened() -> None:
    shown = event_json(placed_event(ANNA), BRUNO)
    assert shown == {"seq": 41, "action": "submission_retried", "at": T.isoformat(), "attempt": 2}
    assert "draft-anna" not in str(shown)


def test_a_form_session_is_named_to_its_owner_only() -> None:
    opened = Event(
        3, EventAction.SESSION_OPENED, T, {"session": "tab-1", "owner": ANNA, "sessions": 2}
    )
    assert event_json(opened, ANNA)["session"] == "tab-1"
    assert event_json(opened, BRUNO) == {
        "seq": 3,
        "action": "session_opened",
        "at": T.isoformat(),
        "sessions": 2,
    }


def data_of(message: bytes) -> dict[str, object]:
    lines = message.decode().split("\r\n")
    assert lines[0].startswith("event: ") and lines[-2:] == ["", ""], message
    (data,) = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    loaded: dict[str, object] = json.loads(data)
    return loaded


def test_a_step_goes_to_every_stream_as_the_event_of_that_viewer_encoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[tuple[int, int | None]] = []
    real = sync_json.event_json

    def counted(event: Event, viewer: int | None) -> dict[str, object]:
        encoded.append((event.seq, viewer))
        return real(event, viewer)

    monkeypatch.setattr(sync_json, "event_json", counted)
    step = placed_event(ANNA)
    for _ in range(3):
        assert data_of(sync_json.event_message(step, ANNA)) == real(step, ANNA)
        for viewer in (BRUNO, 99):
            assert data_of(sync_json.event_message(step, viewer)) == real(step, BRUNO)
    assert sync_json.event_message(step, ANNA).startswith(b"event: submission_retried\r\n")
    assert sorted(encoded, key=str) == [(41, ANNA), (41, None)], "once for its owner, once else"
    ownerless = Event(42, EventAction.SYNCS_RESUMED, T, {"reason": "last_form_closed"})
    assert sync_json.event_message(ownerless, ANNA) == sync_json.event_message(ownerless, BRUNO)
    assert encoded[2:] == [(42, None)]


def orders_report() -> object:
    mine = OrderView("sub-1", "draft-anna-0001", ANNA, "C000160", T, 2, "A01", T, None, "boom")
    theirs = replace(
        mine,
        submission_id="sub-2",
        draft_id="draft-bruno-0001",
        owner=BRUNO,
        customer_code="C000322",
        agent_code="A02",
        sending_since=None,
    )
    snapshot = replace(idle_snapshot(), orders=(mine, theirs))
    return build_report(
        snapshot, {t: [] for t in snapshot.schedule}, T, ROLE, {"placed": 3, "rejected": 1}
    )


def test_the_line_of_orders_shows_an_agent_their_own_and_only_places_of_the_others() -> None:
    shown = orders_json(orders_report(), ANNA, admin=False)  # type: ignore[arg-type]
    assert (shown["waiting"], shown["sending"], shown["placedToday"], shown["rejectedToday"]) == (
        2,
        True,
        3,
        1,
    )
    own, other = shown["queue"]
    assert (own["mine"], own["draftId"], own["lastError"]) == (True, "draft-anna-0001", "boom")
    assert other["mine"] is False and other["position"] == 2
    assert not {"draftId", "customerCode", "submission", "lastError", "agentCode"} & set(other)


def test_an_admin_sees_whose_every_order_is() -> None:
    shown = orders_json(orders_report(), None, admin=True)  # type: ignore[arg-type]
    assert [(o["draftId"], o["agentCode"]) for o in shown["queue"]] == [
        ("draft-anna-0001", "A01"),
        ("draft-bruno-0001", "A02"),
    ]


async def test_the_steps_queued_together_go_out_in_one_write_each_as_its_viewer_sees_it() -> None:
    queue: asyncio.Queue[Event] = asyncio.Queue()
    steps = [placed_event(ANNA), placed_event(BRUNO), replace(placed_event(ANNA), seq=42)]
    for step in steps:
        queue.put_nowait(step)
    writes = event_writes(queue, ANNA)

    first = await anext(writes)
    assert first == b"".join(sync_json.event_message(step, ANNA) for step in steps)
    assert first.count(b"event: ") == 3
    later = asyncio.ensure_future(anext(writes))
    await asyncio.sleep(0)
    assert not later.done(), "a write waits for the next step"
    queue.put_nowait(placed_event(BRUNO))
    assert await later == sync_json.event_message(placed_event(BRUNO), ANNA)
    await writes.aclose()
