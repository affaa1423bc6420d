"""One page of ERP items against the mirror: keyed, hashed, compared, validated.

Unchanged records are recognised by their content hash alone and never parsed again; only new
and changed items are validated, and the ones that fail are quarantined with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from erpsync.domain.catalog import RecordSpec
from erpsync.domain.records import CleanRecord, clean_record, content_hash, raw_key
from erpsync.domain.runs import SyncCounts
from erpsync.errors import InvalidRecordError
from erpsync.ports import HashLookup, Quarantined


@dataclass(frozen=True)
class Candidates:
    """A page's items by key, each with its content hash, and the items with no usable key."""

    items: dict[str, tuple[Any, str]]
    keyless: list[Quarantined]
    fetched: int


@dataclass(frozen=True)
class SortedPage:
    """What to write of one page, and its counts."""

    upserts: list[CleanRecord]
    quarantined: list[Quarantined]
    counts: SyncCounts


def candidates(spec: RecordSpec, items: Sequence[Any]) -> Candidates:
    """Key and hash every item; a key seen twice in one page keeps its last version."""
    keyed: dict[str, tuple[Any, str]] = {}
    keyless: list[Quarantined] = []
    for item in items:
        key = raw_key(spec, item)
        if key is None:
            keyless.append(_quarantine(spec, item, None))
        else:
            keyed[key] = (item, content_hash(spec, item))
    return Candidates(keyed, keyless, len(items))


def sort_page(spec: RecordSpec, page: Candidates, existing: HashLookup) -> SortedPage:
    """Compare a page with the mirror by content hash and validate only what changed.

    Unchanged records are recognised by their hash alone and never parsed again.
    """
    upserts: list[CleanRecord] = []
    bad = list(page.keyless)
    inserted = updated = unchanged = 0
    for key, (item, digest) in page.items.items():
        known = existing.get(key)
        if known == digest:
            unchanged += 1
            continue
        try:
            upserts.append(clean_record(spec, item, digest))
        except InvalidRecordError as exc:
            bad.append(Quarantined(key, str(exc), _payload(item)))
            continue
        if known is None:
            inserted += 1
        else:
            updated += 1
    counts = SyncCounts(
        fetched=page.fetched,
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        quarantined=len(bad),
    )
    return SortedPage(upserts, bad, counts)


def _payload(item: Any) -> str:
    return json.dumps(item, default=str)


def _quarantine(spec: RecordSpec, item: Any, key: str | None) -> Quarantined:
    try:
        clean_record(spec, item)
    except InvalidRecordError as exc:
        return Quarantined(key, str(exc), _payload(item))
    return Quarantined(key, f"no usable {spec.key}", _payload(item))
