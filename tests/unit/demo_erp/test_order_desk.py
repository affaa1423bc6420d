from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.demo_erp.config import FaultSettings
from erpsync.demo_erp.faults import FaultInjector
from erpsync.demo_erp.order_desk import OrderDesk, OrderOutcome
from erpsync.demo_erp.order_intake import ReasonCode
from erpsync.demo_erp.store import Dataset
from erpsync.domain.types import SyncType
from erpsync.errors import RecordNotFoundError

from .conftest import ANCHOR, SteppingClock
from .order_factory import AGENTS, body, customer, line, records

Record = dict[str, Any]
ORDERS = SyncType.ORDERS


class Erp:
    """A desk over a tiny dataset, with its faults at hand."""

    def __init__(self, orders: list[Record] | None = None) -> None:
        self.dataset = Dataset.load(
            records(customers=[customer(), customer("C000002")], orders=orders), SteppingClock()
        )
        self.faults = FaultInjector(FaultSettings(), seed=7)
        self.desk = OrderDesk(self.dataset, self.faults, AGENTS)

    def set_faults(self, **counts: int) -> None:
        self.faults.configure(replace(self.faults.settings, **counts))

    def orders(self) -> list[Record]:
        return list(self.dataset.table(ORDERS).records())


def _number(answer: bytes | None) -> str:
    assert answer is not None
    number: str = json.loads(answer)["number"]
    return number


def _generated(number: str) -> Record:
    return {
        "number": number,
        "customer_code": "C000001",
        "date": "2026-01-02",
        "state": "evaso",
        "lines": [],
        "updated_at": "2026-01-02T09:00:00+00:00",
    }


def test_the_first_write_creates_the_order_and_serves_it() -> None:
    erp = Erp()

    answer = erp.desk.take("k1", body())

    assert answer.outcome is OrderOutcome.CREATED
    assert answer.order is not None
    created = json.loads(answer.order)
    assert created == erp.dataset.get(ORDERS, "OV000001")
    assert created["client_reference"] == "draft-0001"
    assert created["updated_at"] == ANCHOR.isoformat()


def test_a_repeat_with_the_same_body_replays_the_answer_as_first_given() -> None:
    erp = Erp()
    first = erp.desk.take("k1", body())
    erp.dataset.update(ORDERS, "OV000001", {"state": "confermato"})

    again = erp.desk.take("k1", dict(reversed(body().items())))

    assert again.outcome is OrderOutcome.REPLAYED
    assert again.order == first.order
    assert len(erp.orders()) == 1


def test_a_key_used_with_another_body_is_a_conflict_and_creates_nothing() -> None:
    erp = Erp()
    erp.desk.take("k1", body())

    conflict = erp.desk.take("k1", body(notes="un'altra nota"))

    assert conflict.outcome is OrderOutcome.KEY_REUSED
    assert len(erp.orders()) == 1


def test_a_rejection_keeps_nothing_so_the_same_key_is_checked_again() -> None:
    erp = Erp()
    erp.desk.block("C000001")

    refused = erp.desk.take("k1", body())
    erp.desk.unblock("C000001")
    accepted = erp.desk.take("k1", body())

    assert refused.outcome is OrderOutcome.REJECTED
    assert [r.code for r in refused.reasons] == [ReasonCode.CUSTOMER_BLOCKED]
    assert accepted.outcome is OrderOutcome.CREATED
    assert len(erp.orders()) == 1


def test_a_key_refused_once_may_come_back_with_another_body() -> None:
    erp = Erp()

    erp.desk.take("k1", body(customer_code="C999999"))
    accepted = erp.desk.take("k1", body())

    assert accepted.outcome is OrderOutcome.CREATED


def test_blocking_names_a_customer_that_exists() -> None:
    erp = Erp()

    with pytest.raises(RecordNotFoundError):
        erp.desk.block("C999999")
    erp.desk.block("C000002")
    erp.desk.block("C000001")
    erp.desk.unblock("C000009")

    assert erp.desk.blocked == ["C000001", "C000002"]


def test_numbers_continue_after_the_highest_and_are_never_given_twice() -> None:
    erp = Erp(orders=[_generated("OV000001"), _generated("OV000007")])

    first = _number(erp.desk.take("k1", body()).order)
    erp.dataset.delete(ORDERS, first)
    second = _number(erp.desk.take("k2", body(client_reference="draft-0002")).order)

    assert (first, second) == ("OV000008", "OV000009")


def test_fail_before_commit_creates_nothing_and_the_retry_creates() -> None:
    erp = Erp()
    erp.set_faults(fail_before_commit_next=1)

    failed = erp.desk.take("k1", body())
    retried = erp.desk.take("k1", body())

    assert failed.outcome is OrderOutcome.UNAVAILABLE
    assert failed.order is None
    assert retried.outcome is OrderOutcome.CREATED
    assert len(erp.orders()) == 1


def test_reject_next_refuses_a_valid_order_without_creating_it() -> None:
    erp = Erp()
    erp.set_faults(reject_next=1)

    refused = erp.desk.take("k1", body())

    assert refused.outcome is OrderOutcome.REFUSED
    assert [(r.code, r.field, r.line) for r in refused.reasons] == [
        (ReasonCode.REFUSED, None, None)
    ]
    assert erp.orders() == []
    assert erp.desk.take("k1", body()).outcome is OrderOutcome.CREATED


def test_a_lost_answer_is_committed_and_kept_against_the_key() -> None:
    erp = Erp()
    erp.set_faults(lose_answer_next=1)

    lost = erp.desk.take("k1", body())
    retried = erp.desk.take("k1", body())

    assert lost.outcome is OrderOutcome.ANSWER_LOST
    assert retried.outcome is OrderOutcome.REPLAYED
    assert retried.order == lost.order
    assert [o["client_reference"] for o in erp.orders()] == ["draft-0001"]


def test_write_faults_strike_only_orders_about_to_be_created() -> None:
    erp = Erp()
    erp.desk.take("k0", body())
    erp.set_faults(fail_before_commit_next=1, reject_next=1, lose_answer_next=1)

    outcomes = [
        erp.desk.take("k1", body(lines=[line(qty="dozen")])).outcome,
        erp.desk.take("k0", body()).outcome,
        erp.desk.take("k0", body(notes="x")).outcome,
        *(erp.desk.take(f"k{n}", body(client_reference=f"d{n}")).outcome for n in range(2, 6)),
    ]

    assert outcomes == [
        OrderOutcome.REJECTED,
        OrderOutcome.REPLAYED,
        OrderOutcome.KEY_REUSED,
        OrderOutcome.UNAVAILABLE,
        OrderOutcome.REFUSED,
        OrderOutcome.ANSWER_LOST,
        OrderOutcome.CREATED,
    ]
    assert erp.faults.settings == FaultSettings()


@settings(max_examples=60, deadline=None)
@given(
    keys=st.integers(min_value=1, max_value=5),
    script=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4),
            st.sampled_from(["none", "fail_before_commit_next", "reject_next", "lose_answer_next"]),
        ),
        max_size=25,
    ),
)
def test_any_interleaving_of_repeats_of_k_keys_makes_exactly_k_orders(
    keys: int, script: list[tuple[int, str]]
) -> None:
    erp = Erp()
    bodies = [
        body(client_reference=f"draft-{k}", lines=[line(qty=str(k + 1))]) for k in range(keys)
    ]
    numbers: dict[int, set[str]] = {k: set() for k in range(keys)}
    # The script's repeats with faults on the way, then every key once more without any.
    for pick, fault in [*script, *((k, "none") for k in range(keys))]:
        k = pick % keys
        if fault != "none":
            erp.set_faults(**{fault: 1})
        answer = erp.desk.take(f"key-{k}", bodies[k])
        erp.set_faults(fail_before_commit_next=0, reject_next=0, lose_answer_next=0)
        if answer.order is not None:
            numbers[k].add(_number(answer.order))

    created = erp.orders()
    assert len(created) == keys
    assert sorted(o["client_reference"] for o in created) == sorted(
        f"draft-{k}" for k in range(keys)
    )
    assert all(len(seen) == 1 for seen in numbers.values())
    assert len(set().union(*numbers.values())) == keys
