"""The opaque paging cursor: the keyset position of the last item served."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from erpsync.demo_erp.errors import InvalidCursorError
from erpsync.domain.types import SyncType


@dataclass(frozen=True, order=True)
class Keyset:
    """A position in the stable order of one type: ``updated_at`` first, then the key."""

    updated_at: datetime
    key: str


def encode_cursor(type: SyncType, position: Keyset) -> str:
    payload = {"t": type.value, "u": position.updated_at.isoformat(), "k": position.key}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(type: SyncType, cursor: str) -> Keyset:
    """The position a cursor of ``type`` stands for.

    Raises:
        InvalidCursorError: the text is not a cursor, or it belongs to another type.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        kind, stamp, key = payload["t"], payload["u"], payload["k"]
        position = Keyset(datetime.fromisoformat(stamp), key)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError):
        raise InvalidCursorError(f"invalid cursor {cursor!r}") from None
    if kind != type.value:
        raise InvalidCursorError(f"this cursor pages through {kind!r}, not {type.value!r}")
    if position.updated_at.tzinfo is None or not isinstance(key, str):
        raise InvalidCursorError(f"invalid cursor {cursor!r}")
    return position
