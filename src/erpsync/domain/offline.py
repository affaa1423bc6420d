"""The device's offline slice: what it holds of the mirror, and when a delta may follow a cursor.

A slice is one kind of record (the agent's customers, the products, the price-list rows not
yet expired) as the device keeps it. The first download is the whole slice; after it the
device asks for what changed since the :class:`SliceMark` it was handed, and applies it as
idempotent upserts and deletions by key.

The mark is the newest write the slice's tables held when the answer was read (the latest
``synced_at``, ``deleted_at`` or customer scope exit), taken *before* the rows are read: a
page committed in between is in the answer and comes again in the next delta, never missed.
A delta brings what was written strictly after the mark. That is all there is: one writer
writes the mirror at a time (the orchestrator's mutex, every page fenced by the role's
epoch), and it takes a page's write time after the previous page committed, so a page still
in flight when the mark was taken carries a later write time. Only another holder of the role
could write with a clock behind the mark; so the mark keeps the role's epoch, read before it,
and a delta under another epoch starts :data:`OVERLAP` earlier: clocks that far apart lose
nothing, and the rows of those seconds come twice, once, which the device's upserts absorb.
(An overlap on every delta would send again, each time, the pages written in the seconds
before the mark: after a full sync, hundreds of rows.)

A mark is only good for the slice it came from: another kind, another scope (the user's agent
code changed), another price list or another :data:`SLICE_VERSION` (the fields changed) make
the answer the whole slice again, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

#: Raised whenever the slice's fields or their meaning change: older cursors then get a full
#: slice.
SLICE_VERSION = 1
#: How far before its mark a delta starts when the orchestrator role changed hands since.
OVERLAP = timedelta(seconds=5)


class SliceKind(StrEnum):
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    PRICES = "prices"

    @property
    def scoped(self) -> bool:
        """Whether the slice depends on who asks (customers: only the agent's own)."""
        return self is SliceKind.CUSTOMERS


#: The fields of each slice, in the order every row lists them.
SLICE_FIELDS: dict[SliceKind, tuple[str, ...]] = {
    SliceKind.CUSTOMERS: (
        "code",
        "name",
        "vat_number",
        "address",
        "city",
        "province",
        "agent_code",
    ),
    SliceKind.PRODUCTS: (
        "code",
        "description",
        "group",
        "package_size",
        "min_qty",
        "multiple_qty",
        "vat_rate",
    ),
    SliceKind.PRICES: ("id", "product_code", "list_code", "unit_price", "valid_from", "valid_to"),
}


@dataclass(frozen=True)
class SliceMark:
    """Where a slice answer left the device: enough to tell what changed after it.

    Attributes:
        kind: The slice.
        scope: The agent code the slice was scoped to (``None``: every record, an admin's).
        price_list: The price list the service proposed.
        at: The newest write in the slice's tables when the answer was read; ``None`` when
            they were empty.
        epoch: The orchestrator role's epoch before ``at`` was read (``None``: no holder yet).
        day: The day the answer counted expiry from (prices valid to before it were left out).
        version: :data:`SLICE_VERSION` when the mark was made.
    """

    kind: SliceKind
    scope: str | None
    price_list: str
    at: datetime | None
    epoch: int | None
    day: date
    version: int = SLICE_VERSION


@dataclass(frozen=True)
class HighMark:
    """The newest write to a slice's tables and the role's epoch read just before it."""

    at: datetime | None
    epoch: int | None


@dataclass(frozen=True)
class Delta:
    """What a delta reads: what was written strictly after ``after``; for prices, also the
    rows whose ``valid_to`` fell in ``[expired_from, today)``."""

    after: datetime
    expired_from: date

    def empty_at(self, high: HighMark, today: date) -> bool:
        """Whether there is nothing to read: no row written, deleted or moved away after
        ``after`` (``high`` is the newest of those), and no price that expired since (the
        mark is today's). The device is up to date without a look at the rows."""
        return high.at is not None and high.at <= self.after and self.expired_from >= today


def delta_after(
    mark: SliceMark | None,
    *,
    kind: SliceKind,
    scope: str | None,
    price_list: str,
    epoch: int | None,
) -> Delta | None:
    """The delta that brings a device holding ``mark`` up to date, or ``None`` when only the
    whole slice can (no mark, an empty mark, or one made for another slice). ``epoch`` is the
    role's now, read before the slice's rows."""
    if mark is None or mark.at is None:
        return None
    if mark.version != SLICE_VERSION or mark.kind is not kind:
        return None
    if mark.price_list != price_list or (kind.scoped and mark.scope != scope):
        return None
    same_writer = mark.epoch is not None and mark.epoch == epoch
    after = mark.at if same_writer else mark.at - OVERLAP
    return Delta(after=after, expired_from=mark.day)


def newest(*moments: datetime | None) -> datetime | None:
    """The latest of ``moments`` that are known."""
    known = [m for m in moments if m is not None]
    return max(known) if known else None
