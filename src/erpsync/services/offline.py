"""The device's offline slice: the whole slice, or what changed since the device's mark."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from erpsync.domain.offline import (
    SLICE_FIELDS,
    Delta,
    HighMark,
    SliceKind,
    SliceMark,
    delta_after,
)
from erpsync.domain.users import User
from erpsync.ports import Clock, MirrorSlices

#: Rows (and deletions) of the recent answers kept, in all: a few whole catalogues.
KEPT_ROWS = 50_000
#: Answers kept at most, however small.
KEPT_ANSWERS = 256


@dataclass(frozen=True)
class SliceAnswer:
    """One slice answer.

    Attributes:
        full: The rows are the whole slice (the device replaces what it holds); otherwise
            they are what changed since the mark it sent, to upsert by key.
        rows: Values of ``fields`` as stored, by key.
        deleted: Keys to drop (empty when ``full``), sorted.
        mark: What the device sends back next time.
        read_at: When it was read (the answer is the same whenever it is read while nothing
            changes; this is not part of it).
    """

    kind: SliceKind
    full: bool
    fields: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    deleted: list[str]
    mark: SliceMark
    price_list: str
    read_at: datetime


class OfflineSlices:
    """The signed-in user's slices: an agent's own customers (an admin's: all), the products,
    and the price-list rows not yet expired, with the price list the form proposes.

    The answer is a function of the mirror, the user's scope, the day and the mark given:
    asked again with nothing changed, it is the same answer (so its ETag is too). Recent
    answers are kept by what they are a function of (the delta the mark given leads to, and
    the new mark, which holds the newest write and the day): the agents of one scope whose
    devices caught up at the same write (every device after a sync, the morning's first
    opening of the form) get the one answer, read once, and the same object, which the web
    layer encodes once. Only the high mark is read for each; a write moves it, and with it the
    key.
    """

    def __init__(
        self,
        slices: MirrorSlices,
        clock: Clock,
        *,
        price_list: str,
        kept_rows: int = KEPT_ROWS,
    ) -> None:
        self._slices = slices
        self._clock = clock
        self._price_list = price_list
        self._kept_rows = kept_rows
        self._kept: OrderedDict[tuple[Delta | None, SliceMark], SliceAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, user: User, kind: SliceKind, since: SliceMark | None) -> SliceAnswer:
        """The whole slice without ``since`` or when ``since`` cannot be followed (see
        :func:`~erpsync.domain.offline.delta_after`); what changed since it otherwise."""
        scope = user.agent_scope if kind.scoped else None
        now = self._clock.now()
        today = now.date()
        # Taken before the rows: a page committed meanwhile comes now and again next time.
        high = self._slices.high_mark(kind)
        mark = SliceMark(kind, scope, self._price_list, high.at, high.epoch, today)
        delta = delta_after(
            since, kind=kind, scope=scope, price_list=self._price_list, epoch=high.epoch
        )
        # What the answer is a function of: every cursor that cannot be followed shares the
        # one whole slice, and cursors that lead to the same delta share it.
        key = (delta, mark)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        answer = self._read(delta, mark, high, now)
        self._keep(key, answer)
        return answer

    def _keep(self, key: tuple[Delta | None, SliceMark], answer: SliceAnswer) -> None:
        """Keep ``answer``, dropping the least recently asked past :attr:`_kept_rows` rows
        in all (a whole slice larger than that is never kept)."""
        size = len(answer.rows) + len(answer.deleted)
        if size > self._kept_rows:
            return
        with self._lock:
            self._kept[key] = answer
            held = sum(len(a.rows) + len(a.deleted) for a in self._kept.values())
            while held > self._kept_rows or len(self._kept) > KEPT_ANSWERS:
                _, dropped = self._kept.popitem(last=False)
                held -= len(dropped.rows) + len(dropped.deleted)

    def _read(
        self, delta: Delta | None, mark: SliceMark, high: HighMark, now: datetime
    ) -> SliceAnswer:
        kind, scope, today = mark.kind, mark.scope, mark.day
        if delta is None:
            rows = self._slices.rows(kind, scope, today, None)
            return SliceAnswer(
                kind, True, SLICE_FIELDS[kind], rows, [], mark, self._price_list, now
            )
        if delta.empty_at(high, today):  # the usual refresh: nothing changed since
            return SliceAnswer(kind, False, SLICE_FIELDS[kind], [], [], mark, self._price_list, now)
        rows = self._slices.rows(kind, scope, today, delta.after)
        gone = self._slices.gone(kind, scope, today, delta.after, delta.expired_from)
        gone -= {row[0] for row in rows}
        return SliceAnswer(
            kind, False, SLICE_FIELDS[kind], rows, sorted(gone), mark, self._price_list, now
        )
