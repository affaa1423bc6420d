"""Checking records written through the admin API against the catalogue of each type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpsync.demo_erp.errors import InvalidFieldsError
from erpsync.domain.catalog import FieldKind, FieldSpec, RecordSpec
from erpsync.domain.records import clean_record
from erpsync.errors import InvalidRecordError

Record = dict[str, Any]

# The ERP sets ``updated_at`` itself; validation only needs a well-formed stand-in.
_STAND_IN_STAMP = "2000-01-01T00:00:00+00:00"


def _served(raw: Any, spec: FieldSpec) -> Any:
    """The validated value as the ERP serves it: as given, but decimals as text, integers as
    numbers and blanks as null (so a later edit of another field does not reformat it)."""
    if raw is None or raw == "":
        return None
    if spec.kind is FieldKind.DECIMAL:
        return raw if isinstance(raw, str) else str(raw)
    if spec.kind is FieldKind.INT:
        return int(raw)
    if spec.kind is FieldKind.TEXT:
        return str(raw).strip()
    return raw


def _row(given: Mapping[str, Any], fields: tuple[FieldSpec, ...]) -> Record:
    return {f.name: _served(given.get(f.name), f) for f in fields if f.name != "updated_at"}


def _reject_unknown(given: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidFieldsError(f"{where}unknown field(s): {', '.join(unknown)}")


def normalized_record(spec: RecordSpec, fields: Mapping[str, Any]) -> Record:
    """The record as the ERP serves it (every field present, without ``updated_at``).

    A given ``updated_at`` is ignored: the ERP stamps every change itself.

    Raises:
        InvalidFieldsError: an unknown field, a missing required field or a value that does not
            parse as its declared kind.
    """
    given = {k: v for k, v in fields.items() if k != "updated_at"}
    _reject_unknown(given, {*spec.field_names, *(c.name for c in spec.children)}, "")
    for child in spec.children:
        rows = given.get(child.name)
        if isinstance(rows, list):
            for i, row in enumerate(rows):
                if isinstance(row, Mapping):
                    allowed = {f.name for f in child.fields}
                    _reject_unknown(row, allowed, f"{child.name}[{i}]: ")
    try:
        clean_record(spec, {**given, "updated_at": _STAND_IN_STAMP})
    except InvalidRecordError as error:
        raise InvalidFieldsError(str(error)) from None
    record = _row(given, spec.fields)
    if "/" in record[spec.key]:
        raise InvalidFieldsError(f"{spec.key}: a key cannot contain '/'")
    for child in spec.children:
        record[child.name] = [_row(row, child.fields) for row in given.get(child.name) or []]
    return record


def merged_record(
    spec: RecordSpec, current: Mapping[str, Any], changes: Mapping[str, Any]
) -> Record:
    """``current`` with ``changes`` applied, validated as :func:`normalized_record` does.

    Raises:
        InvalidFieldsError: the changes touch the key or make the record invalid.
    """
    if spec.key in changes and changes[spec.key] != current[spec.key]:
        raise InvalidFieldsError(f"{spec.key}: the key of a record cannot change")
    return normalized_record(spec, {**current, **changes})
