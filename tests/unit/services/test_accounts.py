"""Accounts: adding users, signing in with a password or an API token, the demo users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.domain.users import Role
from erpsync.errors import InvalidUserError, RecordNotFoundError, UserExistsError
from erpsync.services.accounts import DEMO_USERS, Accounts
from erpsync.testing import FakeClock
from tests.unit.services.conftest import FAST


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


async def test_a_sign_in_ends_with_signing_out_or_a_password_change(
    accounts: Accounts, clock: FakeClock
) -> None:
    anna = accounts.add_user("anna", "segreto-1", agent_code="A01")
    here, there = accounts.sign_in(anna), accounts.sign_in(anna)
    assert here != there
    assert accounts.user_for_sign_in(here) == anna
    accounts.sign_out(here)
    assert accounts.user_for_sign_in(here) is None, "signing out ends that sign-in"
    assert accounts.user_for_sign_in(there) == anna, "and only that one"
    assert accounts.set_password("anna", "segreto-2") == 1
    assert accounts.user_for_sign_in(there) is None, "a new password ends them all"
    assert accounts.user_for_sign_in("") is None


async def test_a_sign_in_lasts_as_long_as_configured(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    accounts = Accounts(
        SqlUserStore(sqlite_engine), Passwords(FAST), clock, sign_in_lasts=timedelta(hours=1)
    )
    token = accounts.sign_in(accounts.add_user("anna", "segreto-1"))
    await clock.advance(3599)
    assert accounts.user_for_sign_in(token) is not None
    await clock.advance(1)
    assert accounts.user_for_sign_in(token) is None


def test_tokens_are_listed_and_revoked_by_name(accounts: Accounts) -> None:
    accounts.add_user("capo", "segreto-1", admin=True)
    token = accounts.issue_token("capo", "nightly export")
    [listed] = accounts.tokens("capo")
    assert listed.label == "nightly export"
    accounts.revoke_token("capo", listed.id)
    assert accounts.user_for_token(token) is None
    with pytest.raises(RecordNotFoundError):
        accounts.revoke_token("capo", listed.id)
    assert accounts.sign_out_everywhere("capo") == 0
