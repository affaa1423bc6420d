"""Validation and content hashing of ERP records against their :class:`RecordSpec`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.domain.catalog import ChildSpec, FieldKind, FieldSpec, RecordSpec
from erpsync.errors import InvalidRecordError

Value = str | int | bool | date | datetime | None
Row = dict[str, Value]


@dataclass(frozen=True)
class CleanRecord:
    """A validated ERP record: its key, its column values, its child rows and content hash."""

    key: str
    values: Row
    children: dict[str, list[Row]]
    content_hash: str


def _text(raw: Any, spec: FieldSpec) -> Value:
    if type(raw) is str:
        text = raw.strip()
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        raise InvalidRecordError(f"{spec.name}: expected text, got {type(raw).__name__}")
    if len(text) > spec.max_length:
        raise InvalidRecordError(f"{spec.name}: longer than {spec.max_length} characters")
    return text or None


def _int(raw: Any, spec: FieldSpec) -> Value:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidRecordError(f"{spec.name}: expected an integer, got {raw!r}")
    try:
        return int(raw)
    except ValueError:
        raise InvalidRecordError(f"{spec.name}: expected an integer, got {raw!r}") from None


def _decimal(raw: Any, spec: FieldSpec) -> Value:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidRecordError(f"{spec.name}: expected a number, got {raw!r}")
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidRecordError(f"{spec.name}: expected a number, got {raw!r}") from None
    if not number.is_finite():
        raise InvalidRecordError(f"{spec.name}: expected a finite number, got {raw!r}")
    return format(number.normalize(), "f")


def _date(raw: Any, spec: FieldSpec) -> Value:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise InvalidRecordError(f"{spec.name}: expected an ISO date, got {raw!r}") from None


def _datetime(raw: Any, spec: FieldSpec) -> Value:
    try:
        parsed = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        raise InvalidRecordError(f"{spec.name}: expected an ISO timestamp, got {raw!r}") from None
    if parsed.tzinfo is None:
        raise InvalidRecordError(f"{spec.name}: timestamp {raw!r} has no time zone")
    return parsed.astimezone(UTC)


def _bool(raw: Any, spec: FieldSpec) -> Value:
    if not isinstance(raw, bool):
        raise InvalidRecordError(f"{spec.name}: expected true or false, got {raw!r}")
    return raw


Parser = Callable[[Any, FieldSpec], Value]

_PARSERS: dict[FieldKind, Parser] = {
    FieldKind.TEXT: _text,
    FieldKind.INT: _int,
    FieldKind.DECIMAL: _decimal,
    FieldKind.DATE: _date,
    FieldKind.DATETIME: _datetime,
    FieldKind.BOOL: _bool,
}


#: Per field: name, parser (``None`` for plain text, the common case, handled inline),
#: required, maximum length, and the spec itself for messages.
Plan = tuple[tuple[str, Parser | None, bool, int, FieldSpec], ...]
_PLANS: dict[int, tuple[tuple[FieldSpec, ...], Plan]] = {}


def _plan(fields: tuple[FieldSpec, ...]) -> Plan:
    """The fields unpacked for the hot loop, cached by identity: hashing the field specs on
    every record would cost more than parsing it."""
    cached = _PLANS.get(id(fields))
    if cached is None or cached[0] is not fields:
        plan = tuple(
            (
                f.name,
                None if f.kind is FieldKind.TEXT else _PARSERS[f.kind],
                f.required,
                f.max_length,
                f,
            )
            for f in fields
        )
        cached = _PLANS[id(fields)] = (fields, plan)
    return cached[1]


def _clean_row(item: Mapping[str, Any], fields: tuple[FieldSpec, ...], where: str) -> Row:
    row: Row = {}
    get = item.get
    for name, parser, required, max_length, spec in _plan(fields):
        raw = get(name)
        value: Value
        if parser is None and type(raw) is str:
            value = raw.strip() or None
            if value is not None and len(value) > max_length:
                raise InvalidRecordError(f"{where}{name}: longer than {max_length} characters")
        elif raw is None or raw == "":
            value = None
        else:
            try:
                value = (parser or _text)(raw, spec)
            except InvalidRecordError as exc:
                raise InvalidRecordError(f"{where}{exc}") from None
        if value is None and required:
            raise InvalidRecordError(f"{where}{name}: required")
        row[name] = value
    return row


def _clean_children(item: Mapping[str, Any], child: ChildSpec) -> list[Row]:
    raw = item.get(child.name) or []
    if not isinstance(raw, list):
        raise InvalidRecordError(f"{child.name}: expected a list")
    rows = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise InvalidRecordError(f"{child.name}[{i}]: expected an object")
        rows.append(
            _clean_row(
                entry,
                child.fields,
                f"{child.name}[{i}].",
            )
        )
    keys = [r[child.key] for r in rows]
    if len(set(keys)) != len(keys):
        raise InvalidRecordError(f"{child.name}: duplicate {child.key}")
    return rows


def raw_key(spec: RecordSpec, item: Any) -> str | None:
    """The item's key as text, if it has a usable one."""
    if type(item) is dict or isinstance(item, Mapping):  # the ABC check alone costs more
        key = item.get(spec.key)
        if type(key) is str:
            return key.strip() or None
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
    return None


def content_hash(spec: RecordSpec, item: Mapping[str, Any]) -> str:
    """A digest of what the ERP says of a record, taken before validation so an unchanged
    record is recognised without parsing it. ``updated_at`` is left out: a touch is no change.
    """
    try:
        text = "\x1f".join(map(str, spec.hashed_values(item)))
    except KeyError:  # a field the item does not have counts as None, as a get would give
        text = "\x1f".join(map(str, map(item.get, spec.hashed_fields)))
    if spec.children:
        parts = [text]
        for child in spec.children:
            rows = item.get(child.name)
            if isinstance(rows, list):
                for row in rows:
                    if isinstance(row, Mapping):
                        parts.extend(str(row.get(f.name)) for f in child.fields)
                    parts.append("\x1e")
            else:
                parts.append(str(rows))
        text = "\x1f".join(parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def clean_record(spec: RecordSpec, item: Any, digest: str | None = None) -> CleanRecord:
    """Validate one ERP item; ``digest`` is its :func:`content_hash` when already known.

    Raises:
        InvalidRecordError: the item is not an object, a required field is missing or a field
            does not parse as its declared kind.
    """
    if type(item) is not dict and not isinstance(item, Mapping):
        raise InvalidRecordError(f"expected an object, got {type(item).__name__}")
    values = _clean_row(item, spec.fields, "")
    children = {c.name: _clean_children(item, c) for c in spec.children}
    return CleanRecord(
        key=str(values[spec.key]),
        values=values,
        children=children,
        content_hash=digest or content_hash(spec, item),
    )
