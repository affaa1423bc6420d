"""What the demo ERP has served, so tests can assert on it (above all: zero overlaps)."""

from __future__ import annotations

from typing import Any

from erpsync.domain.types import SyncType


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

    def page_served(self, items: int, malformed: int) -> None:
        self.pages_served += 1
        self.items_served += items
        self.malformed_items += malformed

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
            "in_flight": in_flight,
        }
