"""Accounts, drafts and the order form's lookups, as services over the SQL stores."""

from __future__ import annotations

from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.domain.drafts import DraftConflictError, InvalidDraftError
from erpsync.domain.users import InvalidUserError, Role, User, UserExistsError
from erpsync.errors import RecordNotFoundError
from erpsync.services.accounts import DEMO_USERS, Accounts
from erpsync.services.drafts import DraftInput, DraftService, LineInput
from erpsync.services.order_data import OrderFormData
from erpsync.testing import FakeClock
from tests.integration.web_seed import AT, seed_mirror

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AT)


@pytest.fixture
def accounts(sqlite_engine: Engine, clock: FakeClock) -> Accounts:
    return Accounts(SqlUserStore(sqlite_engine), Passwords(FAST), clock)


# -- accounts ---------------------------------------------------------------------------------


def test_a_user_signs_in_with_their_password_only(accounts: Accounts) -> None:
    anna = accounts.add_user("Anna", "segreto-1", agent_code=" A01 ")
    assert (anna.name, anna.role, anna.agent_code) == ("anna", Role.AGENT, "A01")
    assert accounts.authenticate("ANNA ", "segreto-1") == anna
    assert accounts.authenticate("anna", "segreto-2") is None
    assert accounts.authenticate("nobody", "segreto-1") is None
    accounts.set_password("anna", "segreto-2")
    assert accounts.authenticate("anna", "segreto-2") == anna
    with pytest.raises(RecordNotFoundError):
        accounts.set_password("nobody", "whatever")


def test_names_are_unique_and_checked(accounts: Accounts) -> None:
    accounts.add_user("anna", "segreto-1")
    with pytest.raises(UserExistsError):
        accounts.add_user("ANNA", "segreto-2", admin=True)
    with pytest.raises(InvalidUserError):
        accounts.add_user("no spaces", "segreto-1")
    with pytest.raises(InvalidUserError):
        accounts.add_user("bruno", "abc")
    with pytest.raises(InvalidUserError):
        accounts.add_user("carla", "segreto-1", agent_code="A" * 33)


def test_an_api_token_stands_for_its_user(accounts: Accounts) -> None:
    admin = accounts.add_user("capo", "segreto-1", admin=True)
    token = accounts.issue_token("capo", "nightly export")
    assert accounts.user_for_token(token) == admin
    assert accounts.user_for_token(token + "x") is None
    assert accounts.user_for_token("") is None
    assert accounts.issue_token("capo") != token
    with pytest.raises(RecordNotFoundError):
        accounts.issue_token("nobody")


def test_a_password_hashed_with_old_parameters_is_rehashed_on_sign_in(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    store = SqlUserStore(sqlite_engine)
    Accounts(store, Passwords(FAST), clock).add_user("anna", "segreto-1")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    Accounts(store, stronger, clock).authenticate("anna", "segreto-1")
    credentials = store.credentials("anna")
    assert credentials is not None
    assert not stronger.needs_rehash(credentials.password_hash)


def test_the_demo_users_are_created_once_and_keep_changed_passwords(accounts: Accounts) -> None:
    created = accounts.ensure_demo_users()
    assert [d.name for d in created] == ["agente", "admin"]
    agent = accounts.authenticate("agente", "agente")
    assert agent is not None and agent.agent_code == "A01" and not agent.is_admin
    admin = accounts.authenticate("admin", "admin")
    assert admin is not None and admin.is_admin
    accounts.set_password("admin", "not-the-demo-one")
    assert accounts.ensure_demo_users() == []
    assert accounts.authenticate("admin", "admin") is None
    assert {d.name for d in DEMO_USERS} == {u.name for u in accounts.all()}


# -- drafts -----------------------------------------------------------------------------------


@pytest.fixture
def people(accounts: Accounts) -> tuple[User, User]:
    return (
        accounts.add_user("anna", "segreto-1", agent_code="A01"),
        accounts.add_user("bruno", "segreto-1", agent_code="A02"),
    )


@pytest.fixture
def drafts(sqlite_engine: Engine, clock: FakeClock, people: tuple[User, User]) -> DraftService:
    seed_mirror(sqlite_engine)
    return DraftService(SqlDraftStore(sqlite_engine), SqlMirrorSearch(sqlite_engine), clock)


def _order(customer: str = "C1", *lines: LineInput) -> DraftInput:
    return DraftInput(customer, lines or (LineInput("P1", 200, Decimal("0.12")),), "  note  ")


def test_a_draft_takes_names_and_vat_from_the_mirror(
    drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, _ = people
    saved = drafts.create(anna, "draft-0001", _order("C1", LineInput("P3", 2, Decimal("20"))))
    assert (saved.created, saved.count) == (True, 1)
    draft = saved.draft
    assert (draft.customer_name, draft.notes) == ("Ferramenta Rossi S.r.l.", "note")
    assert (draft.lines[0].description, draft.lines[0].vat_rate) == ("Libro tecnico", Decimal(4))
    assert draft.totals.total == Decimal("41.60")


def test_the_same_draft_id_twice_is_one_draft(
    drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, bruno = people
    first = drafts.create(anna, "draft-0001", _order())
    again = drafts.create(anna, "draft-0001", _order("C2"))
    assert (again.created, again.count) == (False, 1)
    assert again.draft == first.draft
    with pytest.raises(DraftConflictError):
        drafts.create(bruno, "draft-0001", _order("C3"))


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        (_order("C3"), "customer 'C3' not found"),
        (_order("C9"), "customer 'C9' not found"),
        (_order("C1", LineInput("P9", 1, Decimal(1))), "product 'P9' not found"),
        (_order("C1", LineInput("P1", 150, Decimal(1))), "not a multiple of 100"),
        (_order("C1", LineInput("P1", 0, Decimal(1))), "at least 1"),
        (DraftInput("C1", ()), "at least one product line"),
        (DraftInput("C1", (LineInput("P2", 1, Decimal(1)),), "x" * 2001), "notes"),
    ],
)
def test_a_draft_that_cannot_be_ordered_is_refused(
    drafts: DraftService, people: tuple[User, User], order: DraftInput, problem: str
) -> None:
    with pytest.raises(InvalidDraftError, match=problem):
        drafts.create(people[0], "draft-0001", order)
    assert drafts.count(people[0]) == 0


async def test_only_the_owner_reads_changes_or_deletes_a_draft(
    drafts: DraftService, people: tuple[User, User], clock: FakeClock
) -> None:
    anna, bruno = people
    drafts.create(anna, "draft-0001", _order())
    with pytest.raises(RecordNotFoundError):
        drafts.get(bruno, "draft-0001")
    with pytest.raises(RecordNotFoundError):
        drafts.update(bruno, "draft-0001", _order("C3"))
    with pytest.raises(RecordNotFoundError):
        drafts.delete(bruno, "draft-0001")
    assert drafts.owned_by(bruno) == []

    await clock.advance(3600)
    updated = drafts.update(anna, "draft-0001", _order("C2"))
    assert (updated.draft.customer_code, updated.draft.created_at) == ("C2", AT)
    assert updated.draft.updated_at == AT.replace(hour=9)
    assert drafts.delete(anna, "draft-0001") == 0


def test_an_admin_may_order_for_any_customer(drafts: DraftService, accounts: Accounts) -> None:
    admin = accounts.add_user("capo", "segreto-1", admin=True)
    assert drafts.create(admin, "draft-admin1", _order("C3")).draft.customer_code == "C3"


# -- order form lookups -----------------------------------------------------------------------


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
