from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

from erpsync.demo_erp.config import DemoErpConfig, Volumes
from erpsync.demo_erp.data import generate_dataset
from erpsync.domain.catalog import SPECS
from erpsync.domain.records import clean_record
from erpsync.domain.types import SyncType

from .conftest import ANCHOR, SMALL


def test_same_seed_same_data() -> None:
    config = DemoErpConfig(volumes=SMALL)

    assert generate_dataset(config, ANCHOR) == generate_dataset(config, ANCHOR)


def test_another_seed_other_data() -> None:
    first = generate_dataset(DemoErpConfig(seed=1, volumes=SMALL), ANCHOR)
    second = generate_dataset(DemoErpConfig(seed=2, volumes=SMALL), ANCHOR)

    assert first[SyncType.CUSTOMERS] != second[SyncType.CUSTOMERS]


def test_volumes_are_honoured() -> None:
    volumes = Volumes(customers=7, products=3, prices=8, orders=5, ddt=6, invoices=9)

    data = generate_dataset(DemoErpConfig(volumes=volumes), ANCHOR)

    assert {t: len(items) for t, items in data.items()} == {t: volumes.of(t) for t in SyncType}


def test_empty_volumes_make_an_empty_dataset() -> None:
    volumes = Volumes(0, 0, 0, 0, 0, 0)

    data = generate_dataset(DemoErpConfig(volumes=volumes), ANCHOR)

    assert all(items == [] for items in data.values())


def test_every_record_has_exactly_the_catalogue_fields_and_validates() -> None:
    data = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)

    for type, items in data.items():
        spec = SPECS[type]
        expected = {*spec.field_names, *(c.name for c in spec.children)}
        for item in items:
            assert set(item) == expected
            clean_record(spec, item)
            for child in spec.children:
                for row in item[child.name]:
                    assert set(row) == {f.name for f in child.fields}


def test_keys_are_unique_and_timestamps_lie_before_the_anchor_in_utc() -> None:
    data = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)

    for type, items in data.items():
        keys = [item[SPECS[type].key] for item in items]
        assert len(set(keys)) == len(keys)
        for item in items:
            stamp = datetime.fromisoformat(item["updated_at"])
            assert stamp.utcoffset() is not None
            assert stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
            assert stamp < ANCHOR
            assert item["updated_at"].endswith("+00:00")


def test_documents_point_at_records_that_exist() -> None:
    data = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)
    customers = {c["code"]: c for c in data[SyncType.CUSTOMERS]}
    products = {p["code"] for p in data[SyncType.PRODUCTS]}
    orders = {o["number"]: o for o in data[SyncType.ORDERS]}

    assert {p["product_code"] for p in data[SyncType.PRICES]} <= products
    for order in orders.values():
        assert customers[order["customer_code"]]["agent_code"] == order["agent_code"]
        assert {line["product_code"] for line in order["lines"]} <= products
        net = Decimal(order["total_net"])
        assert Decimal(order["total"]) == net + Decimal(order["total_vat"])
    for document in [*data[SyncType.DDT], *data[SyncType.INVOICES]]:
        assert document["customer_code"] in customers
        if document["order_number"] is not None:
            order = orders[document["order_number"]]
            assert order["customer_code"] == document["customer_code"]
            assert document["date"] >= order["date"]
    for note in data[SyncType.DDT]:
        assert orders[note["order_number"]]["state"] in ("evaso", "fatturato")


def test_italian_shapes() -> None:
    data = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)

    for customer in data[SyncType.CUSTOMERS]:
        assert customer["code"].startswith("C")
        assert len(customer["code"]) == 7
        assert len(customer["vat_number"]) == 11
        assert customer["vat_number"].isdigit()
        assert len(customer["province"]) == 2
        assert customer["pec"].endswith("@pec.it")
        assert customer["agent_code"] in ("A01", "A02", "A03")
    assert {p["vat_rate"] for p in data[SyncType.PRODUCTS]} <= {"22", "10", "4"}
    assert {p["list_code"] for p in data[SyncType.PRICES]} == {"L01", "L02"}


def test_default_volumes_generate_quickly() -> None:
    started = time.perf_counter()

    data = generate_dataset(DemoErpConfig(), ANCHOR)

    assert time.perf_counter() - started < 2.0
    assert len(data[SyncType.CUSTOMERS]) == 1500
