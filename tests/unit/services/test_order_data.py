"""The order form's lookups: the agent's customers, products and the proposed price."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.domain.users import Role, User
from erpsync.errors import RecordNotFoundError
from erpsync.services.order_data import OrderFormData
from erpsync.testing import FakeClock
from tests.integration.web_seed import seed_mirror


@pytest.fixture
def data(sqlite_engine: Engine, clock: FakeClock) -> OrderFormData:
    seed_mirror(sqlite_engine)
    return OrderFormData(SqlMirrorSearch(sqlite_engine), clock, price_list="L01")


def test_customer_search_is_scoped_to_the_agent(data: OrderFormData) -> None:
    anna = User(1, "anna", Role.AGENT, "A01")
    admin = User(2, "capo", Role.ADMIN)
    assert [c["code"] for c in data.customers(anna, "ferramenta")] == ["C1"]
    assert [c["code"] for c in data.customers(admin, "ferramenta")] == ["C1", "C3"]
    assert len(data.customers(admin, "", limit=1000)) == 4
    assert data.customer(anna, "C1")["name"] == "Ferramenta Rossi S.r.l."
    with pytest.raises(RecordNotFoundError):
        data.customer(anna, "C3")


def test_the_configured_price_list_is_proposed_else_the_first_valid(data: OrderFormData) -> None:
    p1 = data.prices("P1")
    assert [p["list_code"] for p in p1.prices] == ["L01", "L02"]
    assert p1.proposed is not None and p1.proposed["unit_price"] == "0.12"
    p2 = data.prices("P2")
    assert p2.proposed is not None and p2.proposed["list_code"] == "L02"
    assert data.prices("P3").proposed is None
    with pytest.raises(RecordNotFoundError):
        data.prices("P9")
    assert [p["code"] for p in data.products("martello")] == ["P2"]
