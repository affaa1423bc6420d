"""The six sync types, the two sync modes, who triggers a sync, and the approved defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from erpsync.errors import UnknownSyncTypeError


class SyncType(StrEnum):
    ORDERS = "orders"
    CUSTOMERS = "customers"
    DDT = "ddt"
    INVOICES = "invoices"
    PRICES = "prices"
    PRODUCTS = "products"

    @classmethod
    def parse(cls, name: str) -> SyncType:
        try:
            return cls(name)
        except ValueError:
            raise UnknownSyncTypeError(name) from None


class SyncMode(StrEnum):
    """How much a sync fetches. ``FULL`` is the stronger mode: it also finds deletions."""

    INCREMENTAL = "incremental"
    FULL = "full"

    def stronger(self, other: SyncMode) -> SyncMode:
        return SyncMode.FULL if SyncMode.FULL in (self, other) else SyncMode.INCREMENTAL


class Trigger(StrEnum):
    """Who asked for a sync."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    #: The Smart Customer Sync of an order form.
    SMART = "smart"
    #: A preempted sync going back to the queue to continue from its checkpoint.
    RESUME = "resume"
    CLI = "cli"
    #: A first start loading a type whose mirror is empty, at once (SPEC §2.14).
    HYDRATION = "hydration"


@dataclass(frozen=True)
class TypeSchedule:
    """When and how urgently one type syncs: first run at start + ``offset``, then every
    ``interval``; ``priority`` orders the queue (higher first)."""

    type: SyncType
    priority: int
    interval: timedelta
    offset: timedelta


DEFAULT_SCHEDULE: dict[SyncType, TypeSchedule] = {
    s.type: s
    for s in (
        TypeSchedule(SyncType.ORDERS, 6, timedelta(minutes=10), timedelta(0)),
        TypeSchedule(SyncType.CUSTOMERS, 5, timedelta(minutes=30), timedelta(minutes=5)),
        TypeSchedule(SyncType.DDT, 4, timedelta(minutes=45), timedelta(minutes=20)),
        TypeSchedule(SyncType.INVOICES, 3, timedelta(minutes=30), timedelta(minutes=15)),
        TypeSchedule(SyncType.PRICES, 2, timedelta(minutes=30), timedelta(minutes=10)),
        TypeSchedule(SyncType.PRODUCTS, 1, timedelta(minutes=90), timedelta(minutes=30)),
    )
}
