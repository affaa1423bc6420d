"""How long the demo ERP takes to answer a page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from erpsync.demo_erp.config import LatencyProfile
from erpsync.domain.types import SyncType


@dataclass(frozen=True)
class LatencyModel:
    """A fixed cost per request plus a cost per item served, which differs by type."""

    base_seconds: float = 0.0
    per_item_seconds: Mapping[SyncType, float] = field(default_factory=dict)

    def page_delay(self, type: SyncType, items: int) -> float:
        return self.base_seconds + items * self.per_item_seconds.get(type, 0.0)


# Tuned on the field ERP, where the cost is in the records more than in the requests: a full
# customer sync takes 15-20 s whatever the page size (about 17.7 s in pages of 100, 15.3 s in
# pages of 500), an incremental one with a handful of customers about 0.25 s, and a page of
# any other type at its catalogue size (500 products, 200 orders…) about a second.
REALISTIC = LatencyModel(
    base_seconds=0.2,
    per_item_seconds={
        SyncType.CUSTOMERS: 0.0098,
        SyncType.PRODUCTS: 0.0014,
        SyncType.PRICES: 0.0012,
        SyncType.ORDERS: 0.004,
        SyncType.DDT: 0.0022,
        SyncType.INVOICES: 0.0022,
    },
)

INSTANT = LatencyModel()


def latency_model(profile: LatencyProfile) -> LatencyModel:
    return REALISTIC if profile == LatencyProfile.REALISTIC else INSTANT
