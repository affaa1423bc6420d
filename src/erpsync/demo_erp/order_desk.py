"""Where the ERP takes orders in: idempotency, the checks, the write faults and the commit.

One call, :meth:`OrderDesk.take`, decides a write from its key and parsed body, in this order:

1. a key already kept answers its kept order (same body) or a conflict (another body);
2. the body is read and checked, every reason at once (:mod:`~erpsync.demo_erp.order_rules`);
3. an order that passed takes at most one write fault (``fail_before_commit_next``, then
   ``reject_next``, then ``lose_answer_next``): malformed or refused bodies consume none;
4. the order is numbered, stored (so the orders sync serves it) and its answer kept against
   the key, all before the call returns; a lost answer is lost after this commit.

The desk holds no session and never waits: the caller holds the ERP's session around
:meth:`take`, so two writes of one key can never both see it unused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from erpsync.demo_erp.errors import IdempotencyKeyReusedError
from erpsync.demo_erp.faults import FaultInjector, WriteFault
from erpsync.demo_erp.idempotency import IdempotencyLedger, body_digest
from erpsync.demo_erp.order_intake import OrderRequest, Reading, Reason, ReasonCode, read_order
from erpsync.demo_erp.order_rules import (
    MasterData,
    next_order_number,
    order_number,
    order_reasons,
    priced_order,
)
from erpsync.demo_erp.store import Dataset
from erpsync.domain.types import SyncType

REFUSED = Reason(ReasonCode.REFUSED, None, None, "the ERP refused the order")


class OrderOutcome(Enum):
    """How a write ended; ``REFUSED``, ``UNAVAILABLE`` and ``ANSWER_LOST`` are injected."""

    CREATED = "created"
    REPLAYED = "replayed"
    REJECTED = "rejected"
    REFUSED = "refused"
    KEY_REUSED = "key_reused"
    UNAVAILABLE = "unavailable"
    ANSWER_LOST = "answer_lost"


@dataclass(frozen=True)
class OrderAnswer:
    """What the desk decided.

    Attributes:
        order: the order's JSON as first answered (created, replayed or lost answer).
        reasons: why it was refused (rejected or refused).
    """

    outcome: OrderOutcome
    order: bytes | None = None
    reasons: tuple[Reason, ...] = ()


_FAULT_OUTCOMES = {
    WriteFault.NONE: OrderOutcome.CREATED,
    WriteFault.UNAVAILABLE: OrderOutcome.UNAVAILABLE,
    WriteFault.REFUSED: OrderOutcome.REFUSED,
    WriteFault.ANSWER_LOST: OrderOutcome.ANSWER_LOST,
}


class OrderDesk:
    """The ERP's write side: the keys it has answered, the customers it refuses, its numbering.

    Args:
        dataset: where orders are stored and customers, products and prices looked up.
        faults: the write faults in force.
        agent_codes: the agents an order may name.
    """

    def __init__(self, dataset: Dataset, faults: FaultInjector, agent_codes: Sequence[str]) -> None:
        self._dataset = dataset
        self._faults = faults
        self._agent_codes = frozenset(agent_codes)
        self._ledger = IdempotencyLedger()
        self._blocked: set[str] = set()
        self._last_number = 0

    @property
    def blocked(self) -> list[str]:
        return sorted(self._blocked)

    def block(self, customer_code: str) -> None:
        """Refuse orders for a customer from now on. Raises ``RecordNotFoundError``."""
        self._dataset.get(SyncType.CUSTOMERS, customer_code)
        self._blocked.add(customer_code)

    def unblock(self, customer_code: str) -> None:
        """Take orders for a customer again (a customer not blocked stays so)."""
        self._blocked.discard(customer_code)

    def take(self, key: str, body: Any) -> OrderAnswer:
        """Decide one write (see the module docstring for the order of the steps)."""
        digest = body_digest(body)
        try:
            kept = self._ledger.recall(key, digest)
        except IdempotencyKeyReusedError:
            return OrderAnswer(OrderOutcome.KEY_REUSED)
        if kept is not None:
            return OrderAnswer(OrderOutcome.REPLAYED, kept)
        reading = read_order(body)
        master = self._master_data(reading)
        reasons = order_reasons(reading, master)
        if reasons or reading.order is None:
            return OrderAnswer(OrderOutcome.REJECTED, reasons=tuple(reasons))
        outcome = _FAULT_OUTCOMES[self._faults.next_write()]
        if outcome is OrderOutcome.UNAVAILABLE:
            return OrderAnswer(outcome)
        if outcome is OrderOutcome.REFUSED:
            return OrderAnswer(outcome, reasons=(REFUSED,))
        return OrderAnswer(outcome, self._commit(key, digest, reading.order, master))

    def _master_data(self, reading: Reading) -> MasterData:
        dataset = self._dataset
        codes = {line.product_code for line in reading.lines}
        customers = dataset.table(SyncType.CUSTOMERS)
        products = dataset.table(SyncType.PRODUCTS)
        named = {code: products.get(code) for code in codes}
        prices: dict[str, list[dict[str, Any]]] = {}
        for row in dataset.table(SyncType.PRICES).records():
            if row["product_code"] in codes:
                prices.setdefault(row["product_code"], []).append(row)
        code = reading.customer_code
        return MasterData(
            customer=customers.get(code) if code is not None else None,
            customer_blocked=code in self._blocked,
            agent_codes=self._agent_codes,
            products={c: p for c, p in named.items() if p is not None},
            prices=prices,
        )

    def _commit(self, key: str, digest: str, order: OrderRequest, master: MasterData) -> bytes:
        orders = self._dataset.table(SyncType.ORDERS)
        self._last_number = next_order_number(orders.sorted_keys(), self._last_number)
        record = priced_order(order, order_number(self._last_number), master)
        stored = self._dataset.create(SyncType.ORDERS, record)
        answer = json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode()
        self._ledger.keep(key, digest, answer)
        return answer
