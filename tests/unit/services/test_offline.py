"""The device's offline slice: whole, scoped, and as deltas that lose nothing, on every SQL
database."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text, update

from erpsync.adapters.db.cluster import ROLE
from erpsync.adapters.db.slice_queries import SqlMirrorSlices
from erpsync.adapters.db.tables import leases, mirror_tables
from erpsync.domain.catalog import SPECS
from erpsync.domain.offline import OVERLAP, Delta, HighMark, SliceKind, SliceMark
from erpsync.domain.search import search_text
from erpsync.domain.types import SyncType
from erpsync.domain.users import Role, User
from erpsync.services.offline import OfflineSlices, SliceAnswer
from erpsync.testing import FakeClock
from erpsync.web.offline_json import cursor, parse_since, slice_bytes, slice_json
from tests.integration.web_seed import AT, seed_mirror

ANNA = User(1, "anna", Role.AGENT, "A01")
BRUNO = User(2, "bruno", Role.AGENT, "A02")
NOBODY = User(3, "nessuno", Role.AGENT, None)
ADMIN = User(4, "capo", Role.ADMIN)


@pytest.fixture
def engine(sql_engine: Engine) -> Engine:
    seed_mirror(sql_engine, deleted=("P3",))
    with sql_engine.begin() as conn:
        conn.execute(
            insert(leases).values(
                name=ROLE, holder="h", epoch=1, expires_at=AT + timedelta(hours=1), anchor=AT
            )
        )
    return sql_engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AT + timedelta(minutes=1))


@pytest.fixture
def offline(engine: Engine, clock: FakeClock) -> OfflineSlices:
    return OfflineSlices(SqlMirrorSlices(engine), clock, price_list="L01")


def keys(answer: SliceAnswer) -> list[str]:
    return [row[0] for row in answer.rows]


def write(engine: Engine, table: str, key: str, at: datetime, **values: Any) -> None:
    """What a sync page does to one row: new values, written at ``at``."""
    spec = SPECS[SyncType(table)]
    column = mirror_tables[table].c[spec.key]
    with engine.begin() as conn:
        conn.execute(
            update(mirror_tables[table])
            .where(column == key)
            .values(synced_at=at, deleted_at=None, **values)
        )


def add(engine: Engine, table: str, at: datetime, **values: Any) -> None:
    spec = SPECS[SyncType(table)]
    row = {name: values.get(name) for name in spec.field_names}
    row.update(updated_at=at, row_hash="x", seen_run=None, synced_at=at, deleted_at=None)
    if spec.search_fields:
        row["search_text"] = search_text(spec, row)
    with engine.begin() as conn:
        conn.execute(insert(mirror_tables[table]), [row])


def sweep(engine: Engine, table: str, key: str, at: datetime) -> None:
    spec = SPECS[SyncType(table)]
    with engine.begin() as conn:
        conn.execute(
            update(mirror_tables[table])
            .where(mirror_tables[table].c[spec.key] == key)
            .values(deleted_at=at)
        )


def test_the_whole_slice_is_the_agents_customers_and_every_product_and_live_price(
    offline: OfflineSlices,
) -> None:
    anna = offline.answer(ANNA, SliceKind.CUSTOMERS, None)
    assert anna.full and keys(anna) == ["C1", "C2"] and anna.deleted == []
    assert anna.fields == (
        "code",
        "name",
        "vat_number",
        "address",
        "city",
        "province",
        "agent_code",
    )
    assert keys(offline.answer(BRUNO, SliceKind.CUSTOMERS, None)) == ["C3"]
    assert keys(offline.answer(NOBODY, SliceKind.CUSTOMERS, None)) == []
    assert keys(offline.answer(ADMIN, SliceKind.CUSTOMERS, None)) == ["C1", "C2", "C3", "C4"]
    assert keys(offline.answer(ANNA, SliceKind.PRODUCTS, None)) == ["P1", "P2"]  # P3 deleted
    prices = offline.answer(ANNA, SliceKind.PRICES, None)
    # L03-P1 expired on 31 October; L01-P3 is valid from December: kept for the device.
    assert keys(prices) == ["L01-P1", "L01-P3", "L02-P1", "L02-P2"]
    assert prices.price_list == "L01"
    assert prices.rows[0] == ("L01-P1", "P1", "L01", "0.12", None, None)


def test_products_and_prices_are_the_same_answer_for_everyone(offline: OfflineSlices) -> None:
    for kind in (SliceKind.PRODUCTS, SliceKind.PRICES):
        anna, bruno = offline.answer(ANNA, kind, None), offline.answer(BRUNO, kind, None)
        assert slice_bytes(anna)[1] == slice_bytes(bruno)[1]


def test_a_delta_brings_inserts_updates_and_deletions_since_the_cursor(
    engine: Engine, offline: OfflineSlices, clock: FakeClock
) -> None:
    first = offline.answer(ANNA, SliceKind.CUSTOMERS, None)
    unchanged = offline.answer(ANNA, SliceKind.CUSTOMERS, first.mark)
    assert (unchanged.full, unchanged.rows, unchanged.deleted) == (False, [], [])
    later = AT + timedelta(minutes=2)
    write(engine, "customers", "C1", later, name="Ferramenta Rossi Nuova")
    add(engine, "customers", later, code="C5", name="Nuovo", agent_code="A01")
    add(engine, "customers", later, code="C6", name="Di Bruno", agent_code="A02")
    sweep(engine, "customers", "C2", later + timedelta(seconds=1))
    sweep(engine, "customers", "C3", later + timedelta(seconds=1))
    delta = offline.answer(ANNA, SliceKind.CUSTOMERS, first.mark)
    assert not delta.full
    assert keys(delta) == ["C1", "C5"]
    assert delta.rows[0][1] == "Ferramenta Rossi Nuova"
    assert delta.deleted == ["C2"]  # never C3 or C6: Bruno's
    assert delta.mark.at == later + timedelta(seconds=1)
    # Applied on the device, the delta gives what a whole slice gives now.
    device = {row[0]: row for row in first.rows}
    device.update({row[0]: row for row in delta.rows})
    for key in delta.deleted:
        device.pop(key)
    whole = offline.answer(ANNA, SliceKind.CUSTOMERS, None)
    assert sorted(device.values()) == whole.rows
    after = offline.answer(ANNA, SliceKind.CUSTOMERS, delta.mark)
    assert (after.rows, after.deleted) == ([], [])


def test_a_customer_moved_to_another_agent_leaves_the_first_agents_device_only(
    engine: Engine, offline: OfflineSlices
) -> None:
    anna = offline.answer(ANNA, SliceKind.CUSTOMERS, None)
    bruno = offline.answer(BRUNO, SliceKind.CUSTOMERS, None)
    write(engine, "customers", "C1", AT + timedelta(minutes=2), agent_code="A02")
    annas = offline.answer(ANNA, SliceKind.CUSTOMERS, anna.mark)
    assert (keys(annas), annas.deleted) == ([], ["C1"])
    brunos = offline.answer(BRUNO, SliceKind.CUSTOMERS, bruno.mark)
    assert (keys(brunos), brunos.deleted) == (["C1"], [])
    # Back to Anna: a row again, not a deletion.
    write(engine, "customers", "C1", AT + timedelta(minutes=3), agent_code="A01")
    again = offline.answer(ANNA, SliceKind.CUSTOMERS, anna.mark)
    assert (keys(again), again.deleted) == (["C1"], [])
    assert offline.answer(BRUNO, SliceKind.CUSTOMERS, brunos.mark).deleted == ["C1"]


async def test_prices_that_expire_or_are_deleted_leave_the_device(
    engine: Engine, offline: OfflineSlices, clock: FakeClock
) -> None:
    first = offline.answer(ANNA, SliceKind.PRICES, None)
    write(engine, "prices", "L02-P1", AT + timedelta(minutes=2), valid_to=date(2026, 11, 1))
    sweep(engine, "prices", "L02-P2", AT + timedelta(minutes=2))
    write(engine, "prices", "L01-P1", AT + timedelta(minutes=2), valid_to=date(2026, 11, 5))
    delta = offline.answer(ANNA, SliceKind.PRICES, first.mark)
    assert (keys(delta), delta.deleted) == (["L01-P1"], ["L02-P1", "L02-P2"])
    await clock.advance(4 * 86400)  # 6 November: L01-P1 (to the 5th) has expired
    expired = offline.answer(ANNA, SliceKind.PRICES, delta.mark)
    assert (keys(expired), expired.deleted) == ([], ["L01-P1"])
    assert keys(offline.answer(ANNA, SliceKind.PRICES, None)) == ["L01-P3"]


def test_a_delta_after_the_role_changed_hands_starts_a_little_earlier(
    engine: Engine, offline: OfflineSlices
) -> None:
    first = offline.answer(ANNA, SliceKind.PRODUCTS, None)
    with engine.begin() as conn:
        conn.execute(update(leases).values(epoch=2))
    # A new holder whose clock is behind writes "before" the mark: the overlap still sees it.
    write(engine, "products", "P2", AT - OVERLAP / 2, description="Martello 600 g")
    delta = offline.answer(ANNA, SliceKind.PRODUCTS, first.mark)
    # P1, written at the mark, comes again: the device's upsert by key absorbs it.
    assert keys(delta) == ["P1", "P2"] and delta.rows[1][1] == "Martello 600 g"
    assert delta.mark.epoch == 2
    assert offline.answer(ANNA, SliceKind.PRODUCTS, delta.mark).rows == []


@pytest.mark.parametrize(
    "change",
    [
        {"kind": SliceKind.PRODUCTS},
        {"scope": "A02"},
        {"price_list": "L02"},
        {"version": 0},
        {"at": None},
    ],
)
def test_a_cursor_of_another_slice_gets_the_whole_slice(
    offline: OfflineSlices, change: dict[str, Any]
) -> None:
    mark = offline.answer(ANNA, SliceKind.CUSTOMERS, None).mark
    values = {**mark.__dict__, **change}
    other = SliceMark(**values)
    answer = offline.answer(ANNA, SliceKind.CUSTOMERS, other)
    assert answer.full and keys(answer) == ["C1", "C2"]


async def test_the_same_answer_has_the_same_validator_and_a_change_another(
    engine: Engine, offline: OfflineSlices, clock: FakeClock
) -> None:
    first = slice_bytes(offline.answer(ANNA, SliceKind.CUSTOMERS, None))
    await clock.advance(30)
    again = slice_bytes(offline.answer(ANNA, SliceKind.CUSTOMERS, None))
    assert again == first  # read once: the same answer, read at the same moment
    fresh = OfflineSlices(SqlMirrorSlices(engine), clock, price_list="L01")
    read_again = slice_bytes(fresh.answer(ANNA, SliceKind.CUSTOMERS, None))
    assert read_again[1] == first[1] and read_again[0] != first[0]  # only generatedAt differs
    write(engine, "customers", "C3", AT + timedelta(minutes=2), name="Di Bruno")
    brunos_change = slice_bytes(offline.answer(ANNA, SliceKind.CUSTOMERS, None))
    # The cursor moved (the newest write is later), so the tag moves, though the rows did not.
    assert brunos_change[1] != first[1]
    assert slice_bytes(offline.answer(BRUNO, SliceKind.CUSTOMERS, None))[1] != first[1]


def test_the_cursor_goes_out_and_comes_back_as_the_same_mark(offline: OfflineSlices) -> None:
    answer = offline.answer(ANNA, SliceKind.PRICES, None)
    assert parse_since(cursor(answer.mark)) == answer.mark
    body = slice_json(answer)
    assert body["fields"] == list(answer.fields) and body["priceList"] == "L01"
    assert body["rows"][0] == ["L01-P1", "P1", "L01", "0.12", None, None]
    mark = SliceMark(SliceKind.CUSTOMERS, None, "L01", None, None, date(2026, 11, 2))
    assert parse_since(cursor(mark)) == mark


@pytest.mark.parametrize("text", ["x", "bm90IGpzb24", "WzFd", "WyJ4Il0", "WzEsInh4Il0"])
def test_a_cursor_the_service_never_made_is_invalid_input(text: str) -> None:
    from erpsync.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        parse_since(text)


def test_a_cursor_of_another_slice_version_is_no_error_but_a_whole_slice() -> None:
    mark = SliceMark(SliceKind.CUSTOMERS, "A01", "L01", datetime.now(UTC), 1, date(2026, 1, 1))
    assert parse_since(cursor(SliceMark(**{**mark.__dict__, "version": 99}))) is None


@pytest.mark.parametrize("kind", list(SliceKind))
def test_a_delta_reads_what_was_written_since_through_an_index_on_sqlite(
    sqlite_engine: Engine, kind: SliceKind
) -> None:
    """With the statistics a paged sync leaves (hundreds of rows a write time, nearly all
    live), or none (customers here), SQLite's planner preferred walking the key in order, or
    the agent's or ``deleted_at`` index, over the whole table for an empty delta;
    every statement of a delta now searches by write or deletion time, none walks a table
    or an agent's customers."""
    seed_mirror(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        conn.execute(text("DELETE FROM sqlite_stat1"))
        for table, index, stat in [
            ("products", "sqlite_autoindex_products_1", "4500 1"),
            ("products", "ix_products_synced_at", "4500 200"),
            ("products", "ix_products_deleted_at", "4500 1000"),
            ("prices", "sqlite_autoindex_prices_1", "5000 1"),
            ("prices", "ix_prices_synced_at", "5000 330"),
            ("prices", "ix_prices_deleted_at", "5000 1000"),
            ("prices", "ix_prices_valid_to", "5000 1000"),
        ]:
            conn.execute(
                text("INSERT INTO sqlite_stat1 VALUES (:t, :i, :s)"),
                {"t": table, "i": index, "s": stat},
            )
    sqlite_engine.dispose()  # statistics are read as a connection opens
    slices = OfflineSlices(SqlMirrorSlices(sqlite_engine), FakeClock(AT), price_list="L01")
    first = slices.answer(ANNA, kind, None)
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if f"FROM {kind.value}" in statement and "max(" not in statement:
            statements.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", seen)
    try:
        slices.answer(ANNA, kind, first.mark)
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", seen)
    assert statements
    with sqlite_engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            details = [row[-1] for row in plan if "TEMP B-TREE" not in row[-1]]
            walks = [
                d
                for d in details
                if d.startswith("SCAN ") or "agent_code (" in d or "autoindex" in d
            ]
            assert not walks, (statement, details)


class CountingSlices(SqlMirrorSlices):
    """The SQL slices, counting the reads of rows."""

    reads = 0

    def rows(self, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        self.reads += 1
        return super().rows(*args, **kwargs)

    def gone(self, *args: Any, **kwargs: Any) -> set[str]:
        self.reads += 1
        return super().gone(*args, **kwargs)


@pytest.mark.parametrize("kind", list(SliceKind))
def test_nothing_written_since_today_s_mark_is_answered_without_reading_rows(
    engine: Engine, clock: FakeClock, kind: SliceKind
) -> None:
    slices = CountingSlices(engine)
    offline = OfflineSlices(slices, clock, price_list="L01")
    first = offline.answer(ANNA, kind, None)
    slices.reads = 0
    unchanged = offline.answer(ANNA, kind, first.mark)
    assert (unchanged.full, unchanged.rows, unchanged.deleted) == (False, [], [])
    assert unchanged.mark == first.mark
    assert slice_bytes(unchanged) == slice_bytes(offline.answer(ANNA, kind, first.mark))
    assert slices.reads == 0
    # A write since, a mark of yesterday (prices may have expired overnight), or another
    # writer (its clock may be behind) is read.
    later = AT + timedelta(minutes=2)
    if kind is SliceKind.CUSTOMERS:
        write(engine, "customers", "C1", later, name="Ferramenta Rossi Nuova")
    elif kind is SliceKind.PRODUCTS:
        write(engine, "products", "P1", later, description="Cacciavite")
    else:
        offline = OfflineSlices(
            slices, FakeClock(clock.now() + timedelta(days=1)), price_list="L01"
        )
    changed = offline.answer(ANNA, kind, first.mark)
    assert slices.reads == 2
    assert changed.rows or changed.deleted or kind is SliceKind.PRICES


def test_an_empty_delta_needs_today_s_mark_and_nothing_newer_than_it() -> None:
    delta = Delta(after=AT, expired_from=AT.date())
    assert delta.empty_at(HighMark(AT, 1), AT.date())
    assert delta.empty_at(HighMark(AT - timedelta(seconds=1), 1), AT.date())
    assert not delta.empty_at(HighMark(AT + timedelta(microseconds=1), 1), AT.date())
    assert not delta.empty_at(HighMark(None, 1), AT.date())
    assert not delta.empty_at(HighMark(AT, 1), AT.date() + timedelta(days=1))


async def test_devices_asking_the_same_while_nothing_is_written_share_one_read(
    engine: Engine, clock: FakeClock
) -> None:
    """Every device of a scope caught up at the same write asks the same delta as the morning
    opens: it is read once; a write, another scope or another cursor is read afresh."""
    slices = CountingSlices(engine)
    offline = OfflineSlices(slices, clock, price_list="L01")
    mark = offline.answer(ANNA, SliceKind.CUSTOMERS, None).mark
    write(engine, "customers", "C1", AT + timedelta(minutes=2), name="Rossi Nuova")
    slices.reads = 0
    anna = User(11, "anna-2", Role.AGENT, "A01")  # another agent of the same code
    answers = [offline.answer(who, SliceKind.CUSTOMERS, mark) for who in (ANNA, anna, ANNA)]
    assert answers[0] is answers[1] is answers[2] and keys(answers[0]) == ["C1"]
    assert slices.reads == 2, "one delta read: its rows and what left"
    brunos = offline.answer(BRUNO, SliceKind.CUSTOMERS, None)
    assert "C1" not in keys(brunos) and slices.reads == 3, "another scope is its own answer"
    write(engine, "customers", "C2", AT + timedelta(minutes=3), name="Bianchi Nuova")
    after = offline.answer(ANNA, SliceKind.CUSTOMERS, mark)
    assert keys(after) == ["C1", "C2"] and slices.reads == 5, "a write moves the mark: read again"
    await clock.advance(24 * 3600)
    assert offline.answer(ANNA, SliceKind.CUSTOMERS, mark) is not after, "another day"


def test_every_cursor_that_cannot_be_followed_shares_the_one_whole_slice(
    offline: OfflineSlices,
) -> None:
    whole = offline.answer(ANNA, SliceKind.PRICES, None)
    other_list = dataclasses.replace(whole.mark, price_list="L02")
    other_version = dataclasses.replace(whole.mark, version=0)
    for stale in (other_list, other_version):
        assert offline.answer(ANNA, SliceKind.PRICES, stale) is whole


def test_only_answers_within_the_kept_rows_are_kept(engine: Engine, clock: FakeClock) -> None:
    offline = OfflineSlices(CountingSlices(engine), clock, price_list="L01", kept_rows=1)
    whole = offline.answer(ADMIN, SliceKind.PRODUCTS, None)
    assert len(whole.rows) > 1
    assert offline.answer(ADMIN, SliceKind.PRODUCTS, None) is not whole, "too big to keep"
    nothing_new = offline.answer(ADMIN, SliceKind.PRODUCTS, whole.mark)
    assert nothing_new.rows == []
    assert offline.answer(ADMIN, SliceKind.PRODUCTS, whole.mark) is nothing_new


def test_an_answer_served_to_many_devices_is_encoded_once(
    offline: OfflineSlices, monkeypatch: pytest.MonkeyPatch
) -> None:
    from erpsync.web import offline_json

    encoded: list[SliceAnswer] = []
    real = offline_json.slice_bytes

    def counted(answer: SliceAnswer) -> tuple[bytes, bytes]:
        encoded.append(answer)
        return real(answer)

    monkeypatch.setattr(offline_json, "slice_bytes", counted)
    encodings = offline_json.SliceEncodings(size=2)
    answer = offline.answer(ANNA, SliceKind.CUSTOMERS, None)
    first = encodings.of(answer)
    assert encodings.of(answer) is first and first.body == real(answer)[0]
    assert gzip.decompress(first.gzipped) == first.body
    assert encoded == [answer]
    equal_but_another = dataclasses.replace(answer)
    encodings.of(equal_but_another)
    others = [offline.answer(who, SliceKind.CUSTOMERS, None) for who in (BRUNO, ADMIN)]
    for other in others:
        encodings.of(other)
    encodings.of(answer)  # pushed out by the two after it: encoded again
    assert len(encoded) == 5
