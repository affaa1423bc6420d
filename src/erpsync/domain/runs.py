"""Sync runs as records: their status, counts and checkpoint."""

from __future__ import annotations

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
class SyncRun:
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

    @property
    def counts(self) -> SyncCounts:
        return self.checkpoint.counts

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def continues_as(self, mode: SyncMode) -> bool:
        """Whether this unfinished run goes on when a sync of ``mode`` is asked for: a full
        run covers an incremental request; an incremental one gives way to a full request."""
        return self.status.resumable and (self.mode == SyncMode.FULL or self.mode == mode)

    def with_checkpoint(self, checkpoint: Checkpoint) -> SyncRun:
        return replace(self, checkpoint=checkpoint)
