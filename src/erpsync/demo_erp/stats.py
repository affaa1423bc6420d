"""What the demo ERP has served, so tests can assert on it (above all: zero overlaps).

Reads and order writes are counted apart: ``requests`` and ``requests_total`` count reads
only (each one a page served or a fault), ``writes`` counts the order writes that got past
their header and JSON checks, whatever their outcome. ``overlaps`` counts both: a read or a
write turned away because the session was taken.
"""

from __future__ import annotations

from typing import Any

from erpsync.demo_erp.order_desk import OrderOutcome
from erpsync.domain.types import SyncType

_CREATED = (OrderOutcome.CREATED, OrderOutcome.ANSWER_LOST)
_REJECTED = (OrderOutcome.REJECTED, OrderOutcome.REFUSED)
_INJECTED = (OrderOutcome.REFUSED, OrderOutcome.UNAVAILABLE, OrderOutcome.ANSWER_LOST)


class ErpStats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = dict.fromkeys(SyncType, 0)
        self.overlaps = 0
        self.unavailable_injected = 0
        self.timeouts_injected = 0
        self.pages_served = 0
        self.items_served = 0
        self.malformed_items = 0
        self.writes = 0
        self.outcomes = dict.fromkeys(OrderOutcome, 0)

    def page_served(self, items: int, malformed: int) -> None:
        self.pages_served += 1
        self.items_served += items
        self.malformed_items += malformed

    def order_answered(self, outcome: OrderOutcome) -> None:
        self.outcomes[outcome] += 1

    def _count(self, outcomes: tuple[OrderOutcome, ...]) -> int:
        return sum(self.outcomes[outcome] for outcome in outcomes)

    def as_json(self, *, in_flight: bool) -> dict[str, Any]:
        return {
            "requests": {type.value: count for type, count in self.requests.items()},
            "requests_total": sum(self.requests.values()),
            "overlaps": self.overlaps,
            "unavailable_injected": self.unavailable_injected,
            "timeouts_injected": self.timeouts_injected,
            "pages_served": self.pages_served,
            "items_served": self.items_served,
            "malformed_items": self.malformed_items,
            "writes": self.writes,
            # A lost answer is a created order all the same; a refusal is a rejection.
            "orders_created": self._count(_CREATED),
            "orders_replayed": self.outcomes[OrderOutcome.REPLAYED],
            "orders_rejected": self._count(_REJECTED),
            "key_conflicts": self.outcomes[OrderOutcome.KEY_REUSED],
            "write_faults_injected": {o.value: self.outcomes[o] for o in _INJECTED},
            "in_flight": in_flight,
        }
