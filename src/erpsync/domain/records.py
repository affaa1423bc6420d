"""Validation and content hashing of ERP records against their :class:`RecordSpec`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.domain.catalog import ChildSpec, FieldKind, FieldSpec, RecordSpec

Value = str | int | bool | date | datetime | None
Row = dict[str, Value]


class InvalidRecordError(ValueError):
    """An ERP item that cannot be mirrored; the reason says which field and why."""


@dataclass(frozen=True)
class CleanRecord:
    """A validated ERP record: its key, its column values, its child rows and content hash."""

    key: str
    values: Row
    children: dict[str, list[Row]]
    content_hash: str


def _text(raw: Any, spec: FieldSpec) -> Value:
    if not isinstance(raw, str | int):
        raise InvalidRecordError(f"{spec.name}: expected text, got {type(raw).__name__}")
    text = str(raw).strip()
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


_PARSERS: dict[FieldKind, Callable[[Any, FieldSpec], Value]] = {
    FieldKind.TEXT: _text,
    FieldKind.INT: _int,
    FieldKind.DECIMAL: _decimal,
    FieldKind.DATE: _date,
    FieldKind.DATETIME: _datetime,
    FieldKind.BOOL: _bool,
}


def _clean_row(item: Mapping[str, Any], fields: tuple[FieldSpec, ...], where: str) -> Row:
    row: Row = {}
    for spec in fields:
        raw = item.get(spec.name)
        value = None if raw is None or raw == "" else _PARSERS[spec.kind](raw, spec)
        if value is None and spec.required:
            raise InvalidRecordError(f"{where}{spec.name}: required")
        row[spec.name] = value
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
    """The item's key as text, if it has a usable one (used to label quarantined items)."""
    if isinstance(item, Mapping):
        key = item.get(spec.key)
        if isinstance(key, str | int) and not isinstance(key, bool):
            return str(key)
    return None


def clean_record(spec: RecordSpec, item: Any) -> CleanRecord:
    """Validate one ERP item.

    Raises:
        InvalidRecordError: the item is not an object, a required field is missing or a field
            does not parse as its declared kind.
    """
    if not isinstance(item, Mapping):
        raise InvalidRecordError(f"expected an object, got {type(item).__name__}")
    values = _clean_row(item, spec.fields, "")
    children = {c.name: _clean_children(item, c) for c in spec.children}
    return CleanRecord(
        key=str(values[spec.key]),
        values=values,
        children=children,
        content_hash=content_hash(spec, values, children),
    )


def content_hash(spec: RecordSpec, values: Row, children: Mapping[str, list[Row]]) -> str:
    """A digest of what the record says; ``updated_at`` is left out, so a touch is no change."""
    parts = [str(values[name]) for name in spec.field_names if name != "updated_at"]
    for child in spec.children:
        for row in children[child.name]:
            parts.extend(str(row[f.name]) for f in child.fields)
            parts.append("\x1e")
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
