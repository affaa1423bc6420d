"""The demo ERP's dataset, generated from a seed: the same seed and anchor give the same data."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from erpsync.demo_erp.config import DemoErpConfig
from erpsync.demo_erp.documents import generate_documents
from erpsync.demo_erp.masterdata import generate_customers, generate_prices, generate_products
from erpsync.domain.types import SyncType

Record = dict[str, Any]


def _rng(seed: int, part: str) -> random.Random:
    # One generator per part, so a volume change in one part leaves the others as they were.
    return random.Random(f"{seed}:{part}")


def generate_dataset(config: DemoErpConfig, anchor: datetime) -> dict[SyncType, list[Record]]:
    """Every record of every type, each ``updated_at`` strictly before ``anchor``.

    Args:
        config: the seed, the volumes and the agent codes.
        anchor: the moment the ERP starts; the data lies in its past.
    """
    seed, volumes = config.seed, config.volumes
    customers = generate_customers(
        _rng(seed, "customers"), volumes.customers, config.agent_codes, anchor
    )
    products = generate_products(_rng(seed, "products"), volumes.products, anchor)
    prices = generate_prices(_rng(seed, "prices"), volumes.prices, products, anchor)
    list_prices = {
        p["product_code"]: Decimal(p["unit_price"]) for p in prices if p["list_code"] == "L01"
    }
    documents = generate_documents(
        _rng(seed, "documents"),
        (volumes.orders, volumes.ddt, volumes.invoices),
        customers,
        products,
        list_prices,
        anchor,
    )
    return {
        SyncType.CUSTOMERS: customers,
        SyncType.PRODUCTS: products,
        SyncType.PRICES: prices,
        SyncType.ORDERS: documents.orders,
        SyncType.DDT: documents.ddt,
        SyncType.INVOICES: documents.invoices,
    }
