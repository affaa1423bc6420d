"""Sync runs as records: their status, counts, checkpoint and the stretches they ran in.

A run may stop at a page boundary (preempted) and go on later, so it can run in several
segments; its running time is their sum, not the time from its start to its end. Every change
of a run's state is one of the transitions below, the same for every store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind


class RunStatus(StrEnum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def resumable(self) -> bool:
        """A run that never finished (crashed while ``running``, or preempted) goes on later."""
        return self in (RunStatus.RUNNING, RunStatus.INTERRUPTED)


@dataclass(frozen=True)
class SyncCounts:
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(
            fetched=self.fetched + other.fetched,
            inserted=self.inserted + other.inserted,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            deleted=self.deleted + other.deleted,
            quarantined=self.quarantined + other.quarantined,
        )


@dataclass(frozen=True)
class Checkpoint:
    """Where a run stands after its last committed page."""

    cursor: str | None = None
    pages: int = 0
    counts: SyncCounts = field(default_factory=SyncCounts)
    high_water_mark: datetime | None = None


@dataclass(frozen=True)
class Segment:
    """A stretch of time a run ran in, from a start or resume to a stop."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


@dataclass(frozen=True)
class SyncRun:
    """One sync of one type.

    Attributes:
        segments: The stretches it ran in, closed ones only.
        running_since: When its open stretch began; ``None`` unless it is running.
        last_page_at: When its latest page was written.
    """

    id: int
    type: SyncType
    mode: SyncMode
    trigger: Trigger
    status: RunStatus
    started_at: datetime
    since: datetime | None = None
    checkpoint: Checkpoint = field(default_factory=Checkpoint)
    finished_at: datetime | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    segments: tuple[Segment, ...] = ()
    running_since: datetime | None = None
    last_page_at: datetime | None = None

    @property
    def counts(self) -> SyncCounts:
        return self.checkpoint.counts

    @property
    def running_s(self) -> float:
        """How long it ran, in its closed segments (the pauses between them not counted)."""
        return sum(segment.seconds for segment in self.segments)

    @property
    def duration_s(self) -> float | None:
        """Its running time, once it has finished."""
        return None if self.finished_at is None else self.running_s

    # -- transitions ----------------------------------------------------------------------

    def _stopped(self, at: datetime) -> SyncRun:
        if self.running_since is None:
            return self
        closed = Segment(self.running_since, max(at, self.running_since))
        return replace(self, segments=(*self.segments, closed), running_since=None)

    def resumed(self, at: datetime) -> SyncRun:
        """Running again from its checkpoint."""
        return replace(
            self,
            status=RunStatus.RUNNING,
            finished_at=None,
            error=None,
            error_kind=None,
            running_since=at,
        )

    def interrupted(self, at: datetime) -> SyncRun:
        """Stopped at a page boundary, to go on later."""
        return replace(self._stopped(at), status=RunStatus.INTERRUPTED)

    def abandoned(self) -> SyncRun:
        """Left running by a process that died: interrupted as of its last written page (the
        page in flight was lost with the process)."""
        end = self.last_page_at or self.running_since or self.started_at
        return self.interrupted(end)

    def completed(self, at: datetime, *, deleted: int = 0) -> SyncRun:
        counts = replace(self.counts, deleted=self.counts.deleted + deleted)
        stopped = self._stopped(at)
        return replace(
            stopped,
            status=RunStatus.COMPLETED,
            finished_at=at,
            checkpoint=replace(stopped.checkpoint, counts=counts),
        )

    def failed(self, at: datetime, kind: ErrorKind, error: str) -> SyncRun:
        return replace(
            self._stopped(at),
            status=RunStatus.FAILED,
            finished_at=at,
            error=error,
            error_kind=kind,
        )

    def continues_as(self, mode: SyncMode) -> bool:
        """Whether this unfinished run goes on when a sync of ``mode`` is asked for: a full
        run covers an incremental request; an incremental one gives way to a full request."""
        return self.status.resumable and (self.mode == SyncMode.FULL or self.mode == mode)

    def with_checkpoint(self, checkpoint: Checkpoint) -> SyncRun:
        return replace(self, checkpoint=checkpoint)


class RunTransitions:
    """A store's run changes as the transitions above: a store says only how it loads, changes
    and saves one run (``_transition``), and every store changes runs the same way."""

    def _transition(self, run_id: int, change: Callable[[SyncRun], SyncRun]) -> SyncRun:
        raise NotImplementedError

    def resume(self, run_id: int, at: datetime) -> SyncRun:
        return self._transition(run_id, lambda run: run.resumed(at))

    def complete(self, run_id: int, at: datetime, *, deleted: int = 0) -> SyncRun:
        return self._transition(run_id, lambda run: run.completed(at, deleted=deleted))

    def interrupt(self, run_id: int, at: datetime) -> SyncRun:
        return self._transition(run_id, lambda run: run.interrupted(at))

    def fail(self, run_id: int, at: datetime, kind: ErrorKind, error: str) -> SyncRun:
        return self._transition(run_id, lambda run: run.failed(at, kind, error))
