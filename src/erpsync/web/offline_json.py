"""How the offline slice leaves the API: one ``fields`` header and rows as arrays of values
(money and rates as exact decimal text, days as ISO dates), and its cursor as opaque text."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from erpsync.domain.offline import SLICE_VERSION, SliceKind, SliceMark
from erpsync.errors import InvalidInputError
from erpsync.services.offline import SliceAnswer
from erpsync.web.cacheable import Cacheable, cacheable
from erpsync.web.kept import KeptByIdentity

#: The longest cursor the service hands out is far shorter (an agent code, a price list and
#: two moments); ``since`` is refused past this.
MAX_CURSOR = 512


def _money(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _rate(value: Any) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_AS_IS: Callable[[Any], Any] = lambda value: value  # noqa: E731

#: How each field that is not plain text or a whole number is written.
_FORMATS: dict[str, Callable[[Any], Any]] = {
    "vat_rate": _rate,
    "unit_price": _money,
    "valid_from": _day,
    "valid_to": _day,
}


def cursor(mark: SliceMark) -> str:
    """The mark as the opaque ``cursor`` the device sends back as ``since``."""
    at = None if mark.at is None else mark.at.isoformat()
    day = mark.day.isoformat()
    raw = [mark.version, mark.kind.value, mark.scope, mark.price_list, at, mark.epoch, day]
    text = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def parse_since(text: str | None) -> SliceMark | None:
    """The mark ``text`` names; ``None`` without one or for a cursor of another slice version
    (the answer is then the whole slice).

    Raises:
        InvalidInputError: ``text`` is no cursor this service hands out.
    """
    if text is None:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(raw, list) or not raw or type(raw[0]) is not int:
            raise ValueError(text)
        if raw[0] != SLICE_VERSION:
            return None
        version, kind, scope, price_list, at, epoch, day = raw
        if not isinstance(price_list, str) or not isinstance(scope, str | None):
            raise ValueError(text)
        if epoch is not None and type(epoch) is not int:
            raise ValueError(text)
        moment = None if at is None else datetime.fromisoformat(at)
        if moment is not None and (moment.tzinfo is None or not 1900 <= moment.year <= 9000):
            raise ValueError(text)  # no mark the service made, nor one a delta may start from
        return SliceMark(
            SliceKind(kind), scope, price_list, moment, epoch, date.fromisoformat(day), version
        )
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidInputError("since: not a cursor from a previous answer") from None


def slice_json(answer: SliceAnswer) -> dict[str, Any]:
    formats = [_FORMATS.get(name, _AS_IS) for name in answer.fields]
    return {
        "kind": answer.kind.value,
        "full": answer.full,
        "cursor": cursor(answer.mark),
        "priceList": answer.price_list,
        "fields": list(answer.fields),
        "rows": [
            [fmt(value) for fmt, value in zip(formats, row, strict=True)] for row in answer.rows
        ],
        "deleted": answer.deleted,
    }


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def slice_bytes(answer: SliceAnswer) -> tuple[bytes, bytes]:
    """The answer as compact JSON, and what its ETag is made from: the same answer (the same
    slice, cursor, rows and deletions) gives the same validator whenever it is served; only
    ``generatedAt``, when it was read, is left out of it."""
    content = slice_json(answer)
    body = _compact({**content, "generatedAt": answer.read_at.isoformat()})
    return body, _compact(content)


class SliceEncodings(KeptByIdentity[SliceAnswer, Cacheable]):
    """The answers served lately, encoded (:func:`slice_bytes`), tagged and compressed, by the
    answer itself: the service hands every device asking the same the same answer object (see
    :class:`~erpsync.services.offline.OfflineSlices`), which is then encoded once."""

    def __init__(self, size: int = 64) -> None:
        super().__init__(_ready, size)


def _ready(answer: SliceAnswer) -> Cacheable:
    body, content = slice_bytes(answer)
    return cacheable(body, validated=content)
