from __future__ import annotations

import pytest

from erpsync.demo_erp.errors import ApiError, IdempotencyKeyReusedError
from erpsync.demo_erp.idempotency import IdempotencyLedger, body_digest, idempotency_key


@pytest.mark.parametrize("key", ["k", "draft-01HX:attempt.1_a", "A" * 128])
def test_a_well_formed_key_is_taken_as_it_is(key: str) -> None:
    assert idempotency_key(key) == key


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_idempotency_key"),
        ("", "missing_idempotency_key"),
        ("A" * 129, "invalid_idempotency_key"),
        ("with space", "invalid_idempotency_key"),
        ("slash/key", "invalid_idempotency_key"),
        ("clé", "invalid_idempotency_key"),
    ],
)
def test_a_missing_or_malformed_key_is_a_400(header: str | None, code: str) -> None:
    with pytest.raises(ApiError) as raised:
        idempotency_key(header)

    assert (raised.value.status, raised.value.code) == (400, code)


def test_the_digest_ignores_field_order_but_not_values() -> None:
    one = {"a": 1, "lines": [{"qty": "12", "unit_price": "4.50"}]}
    same = {"lines": [{"unit_price": "4.50", "qty": "12"}], "a": 1}

    assert body_digest(one) == body_digest(same)
    assert body_digest(one) != body_digest({"a": 1, "lines": [{"qty": 12, "unit_price": "4.50"}]})
    assert body_digest(one) != body_digest({**one, "notes": ""})
    assert body_digest([1, 2]) != body_digest([2, 1])


def test_a_kept_answer_is_recalled_for_the_same_body_only() -> None:
    ledger = IdempotencyLedger()
    assert ledger.recall("k1", "d1") is None

    ledger.keep("k1", "d1", b'{"number":"OV000001"}')

    assert ledger.recall("k1", "d1") == b'{"number":"OV000001"}'
    assert ledger.recall("k2", "d1") is None
    with pytest.raises(IdempotencyKeyReusedError) as raised:
        ledger.recall("k1", "d2")
    assert raised.value.key == "k1"


def test_a_key_is_kept_once() -> None:
    ledger = IdempotencyLedger()
    ledger.keep("k1", "d1", b"{}")

    with pytest.raises(IdempotencyKeyReusedError):
        ledger.keep("k1", "d1", b"{}")
