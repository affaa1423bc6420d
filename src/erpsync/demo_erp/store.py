"""The demo ERP's records in memory, served in keyset order and changed with fresh stamps."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from erpsync.demo_erp.cursor import Keyset
from erpsync.demo_erp.edits import random_edit
from erpsync.demo_erp.errors import RecordExistsError
from erpsync.demo_erp.timeline import iso
from erpsync.demo_erp.validation import merged_record, normalized_record
from erpsync.domain.catalog import SPECS, RecordSpec
from erpsync.domain.types import SyncType
from erpsync.errors import ConfigurationError, RecordNotFoundError

Record = dict[str, Any]
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Page:
    """One page in keyset order; ``last`` is where the next page starts, ``None`` at the end."""

    items: list[Record]
    last: Keyset | None
    high_water_mark: datetime | None


class TypeTable:
    """The records of one type, kept sorted by ``(updated_at, key)``.

    Stored records are never changed in place (a change stores a new dict), so a page handed
    out stays what it was while the ERP keeps changing.
    """

    def __init__(self, spec: RecordSpec) -> None:
        self.spec = spec
        self._records: dict[str, Record] = {}
        self._order: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._records)

    def sorted_keys(self) -> list[str]:
        return sorted(self._records)

    def get(self, key: str) -> Record | None:
        return self._records.get(key)

    def records(self) -> Iterator[Record]:
        """Every record, in no particular order (cheaper than paging when order is moot)."""
        return iter(self._records.values())

    def latest(self) -> datetime | None:
        return self._order[-1][0] if self._order else None

    def put(self, record: Record, stamp: datetime) -> Record:
        key = str(record[self.spec.key])
        self.remove(key)
        stored = {**record, "updated_at": iso(stamp)}
        self._records[key] = stored
        bisect.insort(self._order, (stamp, key))
        return stored

    def remove(self, key: str) -> Record | None:
        record = self._records.pop(key, None)
        if record is not None:
            position = (datetime.fromisoformat(record["updated_at"]), key)
            del self._order[bisect.bisect_left(self._order, position)]
        return record

    def page(self, since: datetime | None, after: Keyset | None, limit: int) -> Page:
        start = 0
        if since is not None:
            start = bisect.bisect_left(self._order, (since, ""))
        if after is not None:
            start = max(start, bisect.bisect_right(self._order, (after.updated_at, after.key)))
        window = self._order[start : start + limit + 1]
        served = window[:limit]
        last = Keyset(*served[-1]) if len(window) > limit else None
        return Page([self._records[key] for _, key in served], last, self.latest())


class Dataset:
    """Every type's records, with the ERP's clock stamping each change.

    Stamps strictly increase (``max(now, last + 1 µs)``), so a changed record always moves
    behind every cursor handed out before and a sync paging through still sees it.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._tables = {type: TypeTable(SPECS[type]) for type in SyncType}
        self._last_stamp = datetime.min.replace(tzinfo=UTC)

    @classmethod
    def load(
        cls, records: Mapping[SyncType, Iterable[Record]], clock: Callable[[], datetime]
    ) -> Dataset:
        """A dataset holding ``records`` as they are, ``updated_at`` included."""
        dataset = cls(clock)
        for type, items in records.items():
            table = dataset._tables[type]
            for item in items:
                stamp = datetime.fromisoformat(item["updated_at"])
                table.put(item, stamp)
                dataset._last_stamp = max(dataset._last_stamp, stamp)
        return dataset

    def table(self, type: SyncType) -> TypeTable:
        return self._tables[type]

    def count(self, type: SyncType) -> int:
        return len(self._tables[type])

    def next_stamp(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ConfigurationError("the demo ERP clock must give timezone-aware times")
        self._last_stamp = max(now.astimezone(UTC), self._last_stamp + _TICK)
        return self._last_stamp

    def page(
        self, type: SyncType, *, since: datetime | None, after: Keyset | None, limit: int
    ) -> Page:
        return self._tables[type].page(since, after, limit)

    def get(self, type: SyncType, key: str) -> Record:
        """Raises ``RecordNotFoundError`` for an unknown key."""
        record = self._tables[type].get(key)
        if record is None:
            raise RecordNotFoundError(type.value, key)
        return record

    def create(self, type: SyncType, fields: Mapping[str, Any]) -> Record:
        """Store a new record stamped now.

        Raises:
            InvalidFieldsError: the fields do not make a valid record.
            RecordExistsError: the key is taken.
        """
        table = self._tables[type]
        record = normalized_record(table.spec, fields)
        key = str(record[table.spec.key])
        if table.get(key) is not None:
            raise RecordExistsError(type, key)
        return table.put(record, self.next_stamp())

    def update(self, type: SyncType, key: str, changes: Mapping[str, Any]) -> Record:
        """Apply ``changes`` to a record and stamp it now (even when nothing differs).

        Raises:
            RecordNotFoundError: no record has this key.
            InvalidFieldsError: the changes touch the key or make the record invalid.
        """
        table = self._tables[type]
        current = self.get(type, key)
        return table.put(merged_record(table.spec, current, changes), self.next_stamp())

    def delete(self, type: SyncType, key: str) -> Record:
        """Remove a record; it is simply no longer served. Raises ``RecordNotFoundError``."""
        record = self._tables[type].remove(key)
        if record is None:
            raise RecordNotFoundError(type.value, key)
        return record

    def touch(
        self, type: SyncType, count: int, rng: random.Random, *, edit: bool = True
    ) -> list[Record]:
        """Change ``count`` random records (all of them if fewer), as a user in the ERP would.

        Args:
            edit: make a plausible edit of a field; with ``False`` only ``updated_at`` moves.
        """
        table = self._tables[type]
        keys = rng.sample(table.sorted_keys(), min(count, len(table)))
        return [
            self.update(type, key, random_edit(type, self.get(type, key), rng) if edit else {})
            for key in keys
        ]
