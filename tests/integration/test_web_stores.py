"""The SQL stores behind sign-in, drafts and the order form's searches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.tables import draft_lines
from erpsync.adapters.db.users import SqlLoginFailures, SqlUserStore
from erpsync.domain.drafts import Draft, DraftLine
from erpsync.domain.search import search_terms
from erpsync.domain.users import Role
from erpsync.errors import (
    DraftConflictError,
    DraftRevisionError,
    RecordNotFoundError,
    UserExistsError,
)
from tests.integration.web_seed import AT, TODAY, seed_mirror


@pytest.fixture
def users(sql_engine: Engine) -> SqlUserStore:
    return SqlUserStore(sql_engine)


@pytest.fixture
def drafts(sql_engine: Engine, users: SqlUserStore) -> SqlDraftStore:
    users.add("anna", "h", Role.AGENT, "A01", AT)
    users.add("bruno", "h", Role.AGENT, "A02", AT)
    return SqlDraftStore(sql_engine)


def _draft(draft_id: str = "draft-0001", owner: int = 1, **changes: object) -> Draft:
    lines = (
        DraftLine("P1", "Vite", 100, Decimal("0.12"), Decimal("5"), Decimal("22")),
        DraftLine("P2", "Martello", 2, Decimal("9.90")),
    )
    values: dict[str, object] = {
        "id": draft_id,
        "owner_id": owner,
        "customer_code": "C1",
        "customer_name": "Ferramenta Rossi",
        "lines": lines,
        "created_at": AT,
        "updated_at": AT,
        "notes": "consegna al mattino",
        **changes,
    }
    return Draft(**values)  # type: ignore[arg-type]


# -- users ------------------------------------------------------------------------------------


def test_a_user_is_added_once_and_found_by_id_name_and_token(users: SqlUserStore) -> None:
    anna = users.add("anna", "hash-1", Role.AGENT, "A01", AT)
    assert users.by_id(anna.id) == anna
    credentials = users.credentials("anna")
    assert credentials is not None
    assert (credentials.user, credentials.password_hash) == (anna, "hash-1")
    with pytest.raises(UserExistsError):
        users.add("anna", "hash-2", Role.ADMIN, None, AT)
    users.add_token(anna.id, "digest-1", "script", AT)
    assert users.by_token("digest-1") == anna
    assert users.by_token("digest-2") is None
    assert users.credentials("nobody") is None
    assert users.by_id(999) is None


def test_passwords_change_and_users_list_by_name(users: SqlUserStore) -> None:
    zeta = users.add("zeta", "old", Role.ADMIN, None, AT)
    users.add("alfa", "h", Role.AGENT, "A03", AT)
    users.set_password(zeta.id, "new")
    credentials = users.credentials("zeta")
    assert credentials is not None and credentials.password_hash == "new"
    assert [u.name for u in users.all()] == ["alfa", "zeta"]


def test_a_sign_in_lasts_until_it_expires_or_ends(users: SqlUserStore) -> None:
    anna = users.add("anna", "h", Role.AGENT, "A01", AT)
    bruno = users.add("bruno", "h", Role.AGENT, "A02", AT)
    users.add_sign_in(anna.id, "sign-in-1", AT, AT + timedelta(hours=12))
    users.add_sign_in(anna.id, "sign-in-2", AT, AT + timedelta(hours=12))
    users.add_sign_in(bruno.id, "sign-in-3", AT, AT + timedelta(hours=1))
    assert users.by_sign_in("sign-in-1", AT + timedelta(hours=1)) == anna
    assert users.by_sign_in("sign-in-3", AT + timedelta(hours=1)) is None, "it expired"
    assert users.by_sign_in("nobody", AT) is None
    users.end_sign_in("sign-in-1")
    assert users.by_sign_in("sign-in-1", AT) is None
    assert users.by_sign_in("sign-in-2", AT) == anna
    assert users.end_sign_ins(anna.id) == 1
    assert users.by_sign_in("sign-in-2", AT) is None


def test_tokens_are_listed_by_id_and_revoked_by_their_owner_only(users: SqlUserStore) -> None:
    anna = users.add("anna", "h", Role.AGENT, "A01", AT)
    bruno = users.add("bruno", "h", Role.AGENT, "A02", AT)
    users.add_token(anna.id, "a" * 64, "export", AT)
    users.add_token(anna.id, "b" * 64, "phone", AT + timedelta(hours=1))
    assert [(t.id, t.label) for t in users.tokens(anna.id)] == [
        ("b" * 12, "phone"),
        ("a" * 12, "export"),
    ]
    assert not users.revoke_token(bruno.id, "a" * 12), "not bruno's"
    assert not users.revoke_token(anna.id, "a"), "a whole id, not a prefix of one"
    assert users.revoke_token(anna.id, "a" * 12)
    assert users.by_token("a" * 64) is None
    assert users.by_token("b" * 64) == anna


def test_failed_sign_ins_are_counted_per_key_and_purged(sql_engine: Engine) -> None:
    failures = SqlLoginFailures(sql_engine)
    for minutes in (0, 1, 2):
        failures.record("anna@10.0.0.7", AT + timedelta(minutes=minutes))
    failures.record("anna@203.0.113.9", AT)
    assert failures.since("anna@10.0.0.7", AT) == [
        AT + timedelta(minutes=1),
        AT + timedelta(minutes=2),
    ]
    assert failures.purge(AT + timedelta(minutes=1)) == 2
    failures.clear("anna@10.0.0.7")
    assert failures.since("anna@10.0.0.7", AT) == []


# -- drafts -----------------------------------------------------------------------------------


def test_a_draft_keeps_its_lines_in_order_and_its_exact_amounts(drafts: SqlDraftStore) -> None:
    stored, created = drafts.create(_draft())
    assert created
    assert drafts.get(1, "draft-0001") == stored == _draft()
    assert drafts.get(1, "draft-0001").totals.total == Decimal("38.06")  # 11.40 + 19.80 + 22 % VAT


def test_creating_the_same_id_twice_never_makes_two_drafts(
    drafts: SqlDraftStore, sql_engine: Engine
) -> None:
    first, created = drafts.create(_draft())
    again, created_again = drafts.create(_draft(notes="a retry with other notes"))
    assert (created, created_again) == (True, False)
    assert again == first
    assert drafts.count(1) == 1
    with sql_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(draft_lines)).scalar_one() == 2


def test_an_id_taken_by_another_owner_is_a_conflict(drafts: SqlDraftStore) -> None:
    drafts.create(_draft())
    with pytest.raises(DraftConflictError):
        drafts.create(_draft(owner=2))
    assert drafts.count(2) == 0


def test_another_owners_draft_looks_like_no_draft(drafts: SqlDraftStore) -> None:
    drafts.create(_draft())
    with pytest.raises(RecordNotFoundError):
        drafts.get(2, "draft-0001")
    with pytest.raises(RecordNotFoundError):
        drafts.update(_draft(owner=2, notes="mine now"))
    with pytest.raises(RecordNotFoundError):
        drafts.delete(2, "draft-0001")
    assert drafts.owned_by(2) == []
    assert drafts.get(1, "draft-0001").notes == "consegna al mattino"


def test_an_update_replaces_customer_notes_and_lines_but_not_the_creation_time(
    drafts: SqlDraftStore,
) -> None:
    drafts.create(_draft())
    later = AT + timedelta(hours=1)
    changed = _draft(
        customer_code="C2",
        customer_name="Edilizia Bianchi",
        lines=(DraftLine("P3", "Libro", 1, Decimal("25"), vat_rate=Decimal("4")),),
        notes="",
        created_at=later,
        updated_at=later,
    )
    updated = drafts.update(changed)
    assert updated.created_at == AT
    assert updated.updated_at == later
    assert (updated.customer_code, updated.notes, len(updated.lines)) == ("C2", "", 1)
    with pytest.raises(RecordNotFoundError):
        drafts.update(_draft("draft-missing"))


def test_a_change_from_an_older_revision_is_refused_and_changes_nothing(
    drafts: SqlDraftStore,
) -> None:
    assert drafts.create(_draft())[0].revision == 1
    assert drafts.update(_draft(notes="prima"), base_revision=1).revision == 2
    with pytest.raises(DraftRevisionError) as refused:
        drafts.update(_draft(notes="da un altro telefono"), base_revision=1)
    assert (refused.value.base, refused.value.current) == (1, 2)
    assert drafts.get(1, "draft-0001").notes == "prima"
    assert drafts.update(_draft(notes="senza revisione")).revision == 3
    assert drafts.get(1, "draft-0001").revision == 3


def test_drafts_list_newest_first_and_delete_with_their_lines(
    drafts: SqlDraftStore, sql_engine: Engine
) -> None:
    for n in range(3):
        drafts.create(_draft(f"draft-000{n}", updated_at=AT + timedelta(minutes=n)))
    drafts.create(_draft("draft-bruno", owner=2))
    assert [d.id for d in drafts.owned_by(1)] == ["draft-0002", "draft-0001", "draft-0000"]
    drafts.delete(1, "draft-0001")
    assert drafts.count(1) == 2
    with pytest.raises(RecordNotFoundError):
        drafts.delete(1, "draft-0001")
    with sql_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(draft_lines)).scalar_one() == 6


# -- the order form's searches ----------------------------------------------------------------


@pytest.fixture
def search(sql_engine: Engine) -> SqlMirrorSearch:
    seed_mirror(sql_engine, deleted=("C4",))
    return SqlMirrorSearch(sql_engine)


def _codes(rows: list[dict[str, object]]) -> list[object]:
    return [row["code"] for row in rows]


def test_customers_match_every_word_accents_and_case_aside(search: SqlMirrorSearch) -> None:
    assert _codes(search.customers(search_terms("ferramenta"), None, 10)) == ["C1", "C3"]
    assert _codes(search.customers(search_terms("FERRAMENTA bologna"), None, 10)) == ["C3"]
    assert _codes(search.customers(search_terms("citta castello"), None, 10)) == ["C1"]
    assert _codes(search.customers(search_terms("c2"), None, 10)) == ["C2"]
    assert _codes(search.customers([], None, 10)) == ["C2", "C1", "C3"]
    assert _codes(search.customers([], None, 2)) == ["C2", "C1"]


def test_an_agent_sees_only_customers_with_their_agent_code(search: SqlMirrorSearch) -> None:
    assert _codes(search.customers([], "A01", 10)) == ["C2", "C1"]
    assert _codes(search.customers(search_terms("ferramenta"), "A02", 10)) == ["C3"]
    assert search.customers([], "", 10) == []
    assert search.customer("C3", "A01") is None
    found = search.customer("C3", "A02")
    assert found is not None and found["name"] == "Ferramenta Verdi"


def test_deleted_records_never_show(search: SqlMirrorSearch) -> None:
    assert search.customer("C4", None) is None
    assert search.customers(search_terms("neri"), None, 10) == []


def test_search_wildcards_are_taken_literally(search: SqlMirrorSearch) -> None:
    assert search.customers(["%"], None, 10) == []
    assert search.customers(["_"], None, 10) == []


def test_products_are_searched_and_fetched_by_code(search: SqlMirrorSearch) -> None:
    assert _codes(search.products(search_terms("vite"), 10)) == ["P1"]
    assert _codes(search.products([], 2)) == ["P1", "P2"]
    by_code = search.products_by_code(["P2", "P9"])
    assert list(by_code) == ["P2"]
    assert by_code["P2"]["vat_rate"] == "22"
    assert search.products_by_code([]) == {}


def test_prices_are_the_rows_valid_on_the_day(search: SqlMirrorSearch) -> None:
    assert [p["list_code"] for p in search.prices("P1", TODAY)] == ["L01", "L02"]
    assert [p["list_code"] for p in search.prices("P1", TODAY.replace(day=15, month=10))] == [
        "L01",
        "L02",
        "L03",
    ]
    assert search.prices("P3", TODAY) == []
    assert search.prices("P9", TODAY) == []


@pytest.mark.postgres
def test_a_user_lookup_on_a_connection_the_server_dropped_fails_and_the_next_one_works(
    postgres_engine: Engine,
) -> None:
    """The lookups of every request run at the driver level: a pooled connection the server
    dropped is invalidated as SQLAlchemy would, not handed out again."""
    users = SqlUserStore(postgres_engine)
    anna = users.add("anna", "h", Role.AGENT, "A01", AT)
    users.add_token(anna.id, "a" * 64, "phone", AT)
    assert users.by_token("a" * 64) == anna
    outside = create_engine(postgres_engine.url, poolclass=NullPool)
    with outside.connect() as conn:  # the server ends every other session of the database
        ended = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    outside.dispose()
    assert ended, "the pooled connection was among them"

    with pytest.raises(DBAPIError) as failed:
        users.by_token("a" * 64)
    assert failed.value.connection_invalidated
    assert "a" * 64 not in str(failed.value), "no digest in the message"
    assert users.by_token("a" * 64) == anna
    assert users.by_sign_in("nobody", AT) is None
    _assert_pooled_connection_transactional(postgres_engine)


@pytest.mark.postgres
def test_a_user_lookup_the_database_refuses_leaves_the_connection_usable(
    postgres_engine: Engine,
) -> None:
    users = SqlUserStore(postgres_engine)
    anna = users.add("anna", "h", Role.AGENT, "A01", AT)
    users.add_token(anna.id, "a" * 64, "phone", AT)
    with pytest.raises(DBAPIError) as failed:
        users.by_token("\x00")  # PostgreSQL's text holds no NUL
    assert not failed.value.connection_invalidated
    _assert_pooled_connection_transactional(postgres_engine)
    assert users.by_token("a" * 64) == anna
    _assert_pooled_connection_transactional(postgres_engine)


def _assert_pooled_connection_transactional(engine: Engine) -> None:
    """The connection a lookup used (the pool hands out the last one back) is back out of
    autocommit: a transaction begun on it rolls back."""
    with engine.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
