"""Plausible edits a user makes in the ERP, used by the touch endpoint and the ticker."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from erpsync.domain.types import SyncType

Changes = dict[str, Any]

_ORDER_FLOW = ("inserito", "confermato", "in_preparazione", "evaso", "fatturato")
_CENT = Decimal("0.01")


def _customer(record: Mapping[str, Any], rng: random.Random) -> Changes:
    choice = rng.randrange(3)
    if choice == 0:
        return {"phone": f"3{rng.randint(20, 49)} {rng.randrange(10**7):07d}"}
    if choice == 1:
        street = str(record["address"] or "Via Roma 1").rsplit(" ", 1)[0]
        return {"address": f"{street} {rng.randint(1, 180)}"}
    domain = str(record["email"] or "info@cliente.it").split("@", 1)[-1]
    return {"email": f"{rng.choice(('amministrazione', 'ordini', 'acquisti'))}@{domain}"}


def _product(record: Mapping[str, Any], rng: random.Random) -> Changes:
    size = rng.choice((1, 6, 10, 12, 25, 50, 100))
    return {"package_size": size, "min_qty": 1, "multiple_qty": 1}


def _price(record: Mapping[str, Any], rng: random.Random) -> Changes:
    factor = Decimal(100 + rng.randint(-5, 8)) / 100
    return {"unit_price": str(max(_CENT, (Decimal(record["unit_price"]) * factor).quantize(_CENT)))}


def _order(record: Mapping[str, Any], rng: random.Random) -> Changes:
    state = record["state"]
    if state in _ORDER_FLOW[:-1]:
        return {"state": _ORDER_FLOW[_ORDER_FLOW.index(state) + 1]}
    return {}


def _ddt(record: Mapping[str, Any], rng: random.Random) -> Changes:
    return {"tracking_number": f"TRK{rng.randrange(10**12):012d}"}


def _invoice(record: Mapping[str, Any], rng: random.Random) -> Changes:
    return {} if record["paid"] else {"paid": True}


_EDITS: dict[SyncType, Callable[[Mapping[str, Any], random.Random], Changes]] = {
    SyncType.CUSTOMERS: _customer,
    SyncType.PRODUCTS: _product,
    SyncType.PRICES: _price,
    SyncType.ORDERS: _order,
    SyncType.DDT: _ddt,
    SyncType.INVOICES: _invoice,
}


def random_edit(type: SyncType, record: Mapping[str, Any], rng: random.Random) -> Changes:
    """The fields to change in ``record``; empty when its state allows no edit (a paid
    invoice, a closed order), which still counts as a touch."""
    return _EDITS[type](record, rng)
