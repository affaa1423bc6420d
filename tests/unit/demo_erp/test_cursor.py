from __future__ import annotations

import base64

import pytest

from erpsync.demo_erp.cursor import Keyset, decode_cursor, encode_cursor
from erpsync.demo_erp.errors import InvalidCursorError
from erpsync.domain.types import SyncType

from .conftest import ANCHOR


def test_round_trip() -> None:
    position = Keyset(ANCHOR, "C000042")

    cursor = encode_cursor(SyncType.CUSTOMERS, position)

    assert decode_cursor(SyncType.CUSTOMERS, cursor) == position
    assert "=" not in cursor


def test_a_cursor_of_another_type_is_refused() -> None:
    cursor = encode_cursor(SyncType.CUSTOMERS, Keyset(ANCHOR, "C000042"))

    with pytest.raises(InvalidCursorError, match="customers"):
        decode_cursor(SyncType.PRODUCTS, cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"t": "customers", "u": "yesterday", "k": "C1"}').decode(),
        base64.urlsafe_b64encode(b'{"t": "customers", "u": "2026-01-01T00:00:00"}').decode(),
        base64.urlsafe_b64encode(
            b'{"t": "customers", "u": "2026-01-01T00:00:00", "k": "C1"}'
        ).decode(),
    ],
)
def test_garbage_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(SyncType.CUSTOMERS, cursor)
