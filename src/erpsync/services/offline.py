"""The device's offline slice: the whole slice, or what changed since the device's mark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from erpsync.domain.offline import SLICE_FIELDS, SliceKind, SliceMark, delta_after
from erpsync.domain.users import User
from erpsync.ports import Clock, MirrorSlices


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
    asked again with nothing changed, it is the same answer (so its ETag is too).
    """

    def __init__(self, slices: MirrorSlices, clock: Clock, *, price_list: str) -> None:
        self._slices = slices
        self._clock = clock
        self._price_list = price_list

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
