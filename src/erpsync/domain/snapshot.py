"""What the orchestrator in charge is doing right now, as data.

The orchestrator builds its snapshot itself; the status, the live pages and the other replicas
read the snapshot, never the orchestrator. A replica that does not hold the orchestrator role
shows the same status from the copy the holder publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from erpsync.domain.answers import SmartSyncResult
from erpsync.domain.dispatch import OperationKind, Wait, YieldReason, may_start
from erpsync.domain.hydration import Hydration, HydrationState
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule


@dataclass(frozen=True)
class QueuedView:
    """A queued request, and why it waits."""

    type: SyncType
    mode: SyncMode
    priority: int
    trigger: Trigger
    requested_at: datetime
    wait: Wait


@dataclass(frozen=True)
class RunningView:
    """The operation with the ERP now; ``stopping`` once it was asked to give way;
    ``progress_at`` when it last moved on (it began, or wrote a page); ``overdue`` when it runs
    though forms are open, because they held it back past its budget."""

    kind: OperationKind
    type: SyncType
    mode: SyncMode
    trigger: Trigger
    started_at: datetime
    pages: int
    fetched: int
    progress_at: datetime
    stopping: YieldReason | None = None
    overdue: bool = False

    @property
    def smart(self) -> bool:
        return self.kind == OperationKind.SMART_SYNC


@dataclass(frozen=True)
class OrderView:
    """An order waiting to be sent to the ERP, or being sent (``sending_since``).

    ``owner`` is the agent's user id: the status shows other agents' orders as counts only.
    """

    submission_id: str
    draft_id: str
    owner: int
    customer_code: str
    queued_at: datetime
    attempts: int
    agent_code: str | None = None
    sending_since: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The orchestrator at one moment.

    Attributes:
        anchor: When the deployment started (T); the schedule's grids hang on it.
        schedule: The entry in force for each type.
        next_runs: When each type next comes due; empty when the scheduler is off.
        last_fired: The grid tick each type last fired for.
        last_full: When each type last completed a full sync.
        queue: The queued requests in run order.
        running: The sync with the ERP now (an order being sent is in ``orders``).
        sessions: Open order forms.
        safety_deadline: When the safety timeout fires unless a form shows activity.
        safety_timeout_s: The safety timeout.
        page_deadline_s: A running sync with no page for this long hangs.
        smart_waiting: A form asked for a Smart Customer Sync that has not started yet.
        last_smart: How the latest Smart Customer Sync ended.
        orders: The orders waiting to be sent, in the order they go, the one being sent
            first.
        hydration: The first start's loading of the empty types, if this start had one.
    """

    anchor: datetime
    schedule: dict[SyncType, TypeSchedule]
    next_runs: dict[SyncType, datetime]
    last_fired: dict[SyncType, datetime]
    last_full: dict[SyncType, datetime]
    queue: tuple[QueuedView, ...]
    running: RunningView | None
    sessions: int
    safety_deadline: datetime | None
    safety_timeout_s: int
    page_deadline_s: float
    smart_waiting: bool
    last_smart: SmartSyncResult | None
    orders: tuple[OrderView, ...] = ()
    hydration: Hydration | None = None

    @property
    def paused(self) -> bool:
        return self.sessions > 0

    def eligible(self, type: SyncType) -> bool:
        return may_start(type, forms_open=self.paused)

    def queued(self, type: SyncType) -> QueuedView | None:
        return next((q for q in self.queue if q.type == type), None)

    def by_priority(self) -> list[SyncType]:
        return sorted(SyncType, key=lambda t: -self.schedule[t].priority)

    def hydration_state(self, type: SyncType) -> HydrationState | None:
        """Where ``type`` is in the hydration; ``None`` when it is not hydrated."""
        hydration = self.hydration
        if hydration is None or type not in hydration.types:
            return None
        return hydration.state(type, running=None if self.running is None else self.running.type)

    def hung(self, now: datetime) -> SyncType | None:
        """The type whose running sync has waited on the ERP past the page deadline."""
        running = self.running
        if running is None:
            return None
        waited = (now - running.progress_at).total_seconds()
        return running.type if waited > self.page_deadline_s else None
