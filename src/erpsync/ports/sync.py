"""The boundaries of syncing: the ERP source, the mirror, the runs, the engine, the schedule."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from erpsync.domain.catalog import RecordSpec
from erpsync.domain.dispatch import YieldReason
from erpsync.domain.records import CleanRecord
from erpsync.domain.runs import Checkpoint, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import ErrorKind


@dataclass(frozen=True)
class SourcePage:
    """One page of one type from the ERP.

    ``items`` are raw, unvalidated objects; ``next_cursor`` is ``None`` on the last page;
    ``high_water_mark`` is the ERP's latest ``updated_at`` for the type when it served the page.
    """

    items: Sequence[Any]
    next_cursor: str | None
    high_water_mark: datetime | None


class ErpSource(Protocol):
    """Where ERP data comes from.

    Pages are served in a stable order (``updated_at`` then key), so a record that changes while
    a sync pages through moves behind the cursor and is still seen. ``since`` keeps only records
    with ``updated_at >= since``; ``cursor`` is the opaque value of a previous page.

    Raises:
        ErpUnavailableError: the ERP could not answer, after the adapter's own retries.
        ErpProtocolError: the answer does not follow the contract.
    """

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Quarantined:
    key: str | None
    reason: str
    payload: str


@dataclass(frozen=True)
class PageWrite:
    """Everything one page changes, written in one transaction with the run's checkpoint.

    ``upserts`` are new or changed records; they are marked seen by the run.
    """

    run_id: int
    spec: RecordSpec
    upserts: Sequence[CleanRecord]
    quarantined: Sequence[Quarantined]
    checkpoint: Checkpoint
    written_at: datetime


HashLookup = Mapping[str, str | None]


class MirrorStore(Protocol):
    """The local mirror of ERP data, one table per type (plus child tables)."""

    def write_page(
        self,
        spec: RecordSpec,
        run_id: int,
        keys: Sequence[str],
        build: Callable[[HashLookup], PageWrite],
        *,
        mark_seen: bool,
    ) -> PageWrite:
        """Compare and write one page atomically: all of it or none of it.

        In one transaction: look up the content hash of each of ``keys`` already mirrored
        (``None`` for a deleted record; keys never mirrored are absent), marking those rows
        seen by ``run_id`` when ``mark_seen``; hand the lookup to ``build``; write the
        :class:`PageWrite` it returns (upserts, quarantined items, the run's checkpoint) and
        return it. An upsert of a deleted record brings it back.
        """

    def sweep(self, spec: RecordSpec, run_id: int, now: datetime) -> int:
        """Mark deleted every live record that run ``run_id`` did not see; return how many."""

    def count(self, spec: RecordSpec, *, include_deleted: bool = False) -> int: ...

    def get(self, spec: RecordSpec, key: str) -> dict[str, Any] | None:
        """One mirrored record with its child rows (and ``deleted_at``), or ``None``."""

    def quarantined(self, run_id: int) -> list[dict[str, Any]]:
        """The items run ``run_id`` quarantined, oldest first, payload decoded."""


class RunStore(Protocol):
    """Sync runs and the per-type watermark; the sync engine is their only writer. A run's
    checkpoint is written with its page (:meth:`MirrorStore.write_page`).

    A run is ``running`` from :meth:`start` (or :meth:`resume`) until it completes, fails, or
    is interrupted at a page boundary; an interrupted run, or one left ``running`` by a process
    that died, is *unfinished* and continues later from its checkpoint.
    """

    def start(
        self,
        type: SyncType,
        mode: SyncMode,
        *,
        trigger: Trigger,
        since: datetime | None,
        at: datetime,
    ) -> SyncRun:
        """A new ``running`` run with an empty checkpoint."""

    def unfinished(self, type: SyncType) -> SyncRun | None:
        """The latest run of ``type`` that never finished, if any."""

    def resume(self, run_id: int, at: datetime) -> SyncRun:
        """Set an unfinished run back to ``running`` to continue it from its checkpoint."""

    def complete(self, run_id: int, at: datetime, *, deleted: int = 0) -> SyncRun:
        """The run ended well; ``deleted`` (the sweep's) is added to its counts."""

    def interrupt(self, run_id: int, at: datetime) -> SyncRun:
        """The run stopped at a page boundary and goes on later from its checkpoint."""

    def interrupt_abandoned(self) -> list[SyncRun]:
        """Mark interrupted every run left ``running`` (by a process that stopped without
        ending it), as of its last written page; return them."""

    def fail(self, run_id: int, at: datetime, kind: ErrorKind, error: str) -> SyncRun:
        """The run ended in failure, with why."""

    def get(self, run_id: int) -> SyncRun:
        """Raises ``RecordNotFoundError`` for an unknown id."""

    def recent(self, type: SyncType | None = None, limit: int = 50) -> list[SyncRun]:
        """Newest first."""

    def latest(self, types: Sequence[SyncType], limit: int) -> dict[SyncType, list[SyncRun]]:
        """Each of ``types``' ``limit`` latest runs, newest first, read together."""

    def prune(self, before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` of the oldest runs started before ``before`` that have ended
        (on SQL, with the items they quarantined); each type's latest completed run and latest
        completed full run stay, whatever their age (the schedule and the health go by them).
        Returns how many went."""

    def watermark(self, type: SyncType) -> datetime | None:
        """The latest ``updated_at`` the mirror of ``type`` is known to hold."""

    def advance_watermark(self, type: SyncType, mark: datetime) -> None:
        """Move the watermark to ``mark`` if that is later; it never moves back."""


@dataclass(frozen=True)
class SyncJob:
    """One sync for the engine to run.

    Attributes:
        type: The type to sync.
        mode: The mode asked for; an empty mirror always gets a full sync.
        trigger: Who asked.
        resume: Continue the type's unfinished run if it covers ``mode``; without it (the
            Smart Customer Sync) a new run starts and the unfinished one waits its turn.
    """

    type: SyncType
    mode: SyncMode
    trigger: Trigger
    resume: bool = True


class RunObserver(Protocol):
    """Told what a run does while it runs (the orchestrator's events and progress)."""

    def began(self, run: SyncRun, resumed: bool) -> None:
        """The run's row exists: new, or ``resumed`` from its checkpoint."""

    def progressed(self, run: SyncRun) -> None:
        """A page was written; ``run`` carries the new checkpoint."""

    def stopping(self, reason: YieldReason) -> None:
        """The run was asked to give way: it stops after the page in flight."""


class SyncEngine(Protocol):
    """Runs syncs from the ERP into the mirror; owns every run row."""

    async def run(
        self,
        job: SyncJob,
        *,
        yield_reason: Callable[[], YieldReason | None],
        observer: RunObserver,
        time_limit: timedelta,
    ) -> SyncRun:
        """Run ``job`` to its end and return the run as it ended.

        It completes; fails (with the reason and kind, never raising); is interrupted at the
        first page boundary at which ``yield_reason`` answers a reason; or, past
        ``time_limit``, is cancelled and failed as timed out, recorded even if it hung before
        its row existed.
        """

    async def last_full_syncs(self) -> dict[SyncType, datetime]:
        """When each type last completed a full sync (types that never did are absent)."""

    async def recover(self) -> list[SyncRun]:
        """The runs a previous process left unfinished, oldest first, to be continued: the
        ones it left ``running`` are marked interrupted first."""

    async def empty_types(self) -> list[SyncType]:
        """The types whose mirror is empty: no live record, and no sync of the type ever
        completed (a type the ERP emptied is not empty in this sense). In no order."""


class ScheduleStore(Protocol):
    """Schedule entries an admin changed; types never changed are absent."""

    def load(self) -> dict[SyncType, TypeSchedule]: ...

    def save(self, entry: TypeSchedule) -> None:
        """Persist ``entry`` (already validated), replacing the type's previous one."""
