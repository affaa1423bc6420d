"""What the orchestrator answers to its commands, as frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.errors import ErrorKind


class RequestOutcome(StrEnum):
    STARTED = "started"
    QUEUED = "queued"
    MERGED = "merged"


@dataclass(frozen=True)
class SyncRequested:
    """What became of a sync request: it started, joined the queue at ``position``, or
    merged into the request already queued or running (``position`` 0 for the running one)."""

    type: SyncType
    outcome: RequestOutcome
    mode: SyncMode
    position: int | None = None


@dataclass(frozen=True)
class AllRequested:
    """The answers to a request for every type, highest priority first."""

    requests: tuple[SyncRequested, ...]


@dataclass(frozen=True)
class OrdersAccepted:
    """The submissions the orchestrator now has in line (those still pending), and how many
    orders wait in all."""

    waiting: tuple[str, ...]
    queue_length: int


@dataclass(frozen=True)
class FormState:
    """The order-form sessions after a command: how many are open, and whether syncs wait."""

    sessions: int
    paused: bool


class SmartSyncStatus(StrEnum):
    """How a Smart Customer Sync ended, as the form that waits for it sees it."""

    COMPLETED = "completed"
    FAILED = "failed"
    #: It did not end within the time a form waits: the form goes on with the local customer
    #: list, and the sync finishes in the background.
    TIMED_OUT = "timed_out"
    #: The service stopped before it could end.
    STOPPED = "stopped"

    @classmethod
    def of(cls, status: RunStatus) -> SmartSyncStatus:
        return {
            RunStatus.COMPLETED: cls.COMPLETED,
            RunStatus.FAILED: cls.FAILED,
        }.get(status, cls.STOPPED)


@dataclass(frozen=True)
class SmartSyncResult:
    """How a Smart Customer Sync ended, for the form that asked for it.

    Attributes:
        duration_s: From the request to the end: what the agent waited, including any page
            of another sync in flight.
        sync_s: The customer sync alone.
    """

    status: SmartSyncStatus
    mode: SyncMode
    fetched: int
    inserted: int
    updated: int
    duration_s: float
    sync_s: float
    finished_at: datetime
    run_id: int | None
    error: str | None = None
    error_kind: ErrorKind | None = None

    @classmethod
    def timed_out(cls, requested_at: datetime, now: datetime, mode: SyncMode) -> SmartSyncResult:
        """The answer to a form whose smart sync has not ended in time."""
        waited = (now - requested_at).total_seconds()
        return cls(
            status=SmartSyncStatus.TIMED_OUT,
            mode=mode,
            fetched=0,
            inserted=0,
            updated=0,
            duration_s=waited,
            sync_s=0.0,
            finished_at=now,
            run_id=None,
            error=f"the ERP did not answer within {waited:.0f} s; "
            "the customer list is the local one",
            error_kind=ErrorKind.TIMED_OUT,
        )

    @classmethod
    def from_run(
        cls, run: SyncRun, requested_at: datetime, finished_at: datetime
    ) -> SmartSyncResult:
        return cls(
            status=SmartSyncStatus.of(run.status),
            mode=run.mode,
            fetched=run.counts.fetched,
            inserted=run.counts.inserted,
            updated=run.counts.updated,
            duration_s=(finished_at - requested_at).total_seconds(),
            sync_s=(finished_at - run.started_at).total_seconds(),
            finished_at=finished_at,
            run_id=run.id,
            error=run.error,
            error_kind=run.error_kind,
        )


@dataclass(frozen=True)
class FormOpened:
    """The answer to opening an order form: the smart sync's result and the sessions."""

    result: SmartSyncResult
    forms: FormState


@dataclass(frozen=True)
class FormPinged:
    """``known`` is false once the session has ended (e.g. the safety timeout)."""

    known: bool
    forms: FormState


@dataclass(frozen=True)
class FormClosed:
    """``closed`` is false when the session was not open (a second goodbye)."""

    closed: bool
    forms: FormState


@dataclass(frozen=True)
class ScheduleChanged:
    """The entry now in force."""

    entry: TypeSchedule
