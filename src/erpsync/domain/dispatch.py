"""What runs with the ERP next, and when a running sync gives way: pure decisions.

One operation at a time talks to the ERP (SPEC §2.1). The orchestrator's loop holds the state
and applies these decisions; it decides nothing itself:

* :func:`next_start` — with nothing running, the Smart Customer Sync an order form asked for
  goes first; then the orders waiting to be sent, first come first served (SPEC §2.12: they
  are interactive work, open forms do not hold them); then the queued syncs in run order
  (priority, then arrival), skipping those the pause gate holds back — unless they are
  *overdue*: held back by open forms for longer than their starvation budget (SPEC §2.11),
  they run in the gaps between interactive work (a ``customers`` request, which the gate lets
  through, is overdue likewise once it has waited that long behind the smart syncs that go
  first). With a large sales force there may be no gap (a form opens every second), so
  interactive work and an overdue sync take turns: once a smart sync or an order has run, an
  overdue sync goes first, and gives way again at its next page — a page of progress each
  turn, a page of delay for the form. Without preemption (measured as a baseline only) a sync
  would not give way, so it takes no turn.
* :func:`yield_reason` — a running sync gives way at its next page boundary when the service
  shuts down, when an order form opens (unless it is ``customers``, the one type a form lets
  through, or an overdue sync), or when a Smart Customer Sync or an order is waiting. The
  smart sync itself never gives way but to a shutdown; sending an order is one ERP call and
  is never cut.
* :func:`wait_reason` — why a queued request has not started: the pause gate, or the operation
  running ahead of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from erpsync.domain.queue import SyncRequest
from erpsync.domain.types import SyncMode, SyncType, Trigger


class OperationKind(StrEnum):
    """The kinds of work done with the ERP under its one session."""

    SYNC = "sync"
    SMART_SYNC = "smart_sync"
    SUBMISSION = "submission"


@dataclass(frozen=True)
class SyncOperation:
    """A sync with the ERP.

    Attributes:
        kind: A queued sync, or the Smart Customer Sync of an order form.
        type: The type it syncs.
        mode: The mode asked for (the run may widen it: an empty mirror needs a full sync).
        trigger: Who asked.
        requested_at: Since when it has been wanted (a preempted sync keeps it).
        overdue: It runs though forms are open: they held it back past its budget.
    """

    kind: OperationKind
    type: SyncType
    mode: SyncMode
    trigger: Trigger
    requested_at: datetime | None = None
    overdue: bool = False

    @classmethod
    def sync(cls, request: SyncRequest, *, overdue: bool = False) -> SyncOperation:
        return cls(
            OperationKind.SYNC,
            request.type,
            request.mode,
            request.trigger,
            request.requested_at,
            overdue,
        )

    @property
    def smart(self) -> bool:
        return self.kind == OperationKind.SMART_SYNC


@dataclass(frozen=True)
class SubmitOperation:
    """Sending one order to the ERP (see :mod:`erpsync.domain.submissions`)."""

    submission_id: str
    kind: OperationKind = OperationKind.SUBMISSION
    smart: bool = False


#: One piece of work with the ERP.
Operation = SyncOperation | SubmitOperation


class YieldReason(StrEnum):
    """Why a running sync stops at its next page boundary."""

    SHUTDOWN = "shutdown"
    FORMS_OPEN = "forms_open"
    SMART_SYNC = "smart_sync"
    SUBMISSION = "submission"


class WaitReason(StrEnum):
    """Why a queued request has not started yet."""

    FORMS_OPEN = "forms_open"
    BEHIND_RUNNING = "behind_running"
    BEHIND_ORDERS = "behind_orders"
    STARTING = "starting"


@dataclass(frozen=True)
class Wait:
    """Why a queued request waits; ``behind`` is the running type for ``BEHIND_RUNNING``;
    ``BEHIND_ORDERS`` while an order is being sent."""

    reason: WaitReason
    behind: SyncType | None = None


@dataclass(frozen=True)
class Situation:
    """What the decisions look at.

    Attributes:
        now: The moment decided at.
        forms_open: At least one order form is open somewhere.
        smart_waiting: An order form asked for a Smart Customer Sync that has not started.
        submission_ready: The oldest order waiting to be sent now (not waiting out a retry
            delay), by its submission's id.
        interactive_last: The operation that ended last was interactive (a smart sync or an
            order): an overdue sync has its turn before the next.
        running: The operation with the ERP now, if any.
        shutting_down: The service is stopping: nothing starts, a running sync stops.
        preemption: Whether a running sync gives way at all (off only to measure a plain
            priority queue).
        smart_mode: The mode of the Smart Customer Sync.
        budgets: How long open forms may hold each type back (types absent: forever).
    """

    now: datetime
    forms_open: bool = False
    smart_waiting: bool = False
    submission_ready: str | None = None
    interactive_last: bool = False
    running: Operation | None = None
    shutting_down: bool = False
    preemption: bool = True
    smart_mode: SyncMode = SyncMode.INCREMENTAL
    budgets: Mapping[SyncType, timedelta] = field(default_factory=dict)


def may_start(type: SyncType, *, forms_open: bool) -> bool:
    """The pause gate: while an order form is open anywhere, only ``customers`` may start."""
    return type == SyncType.CUSTOMERS or not forms_open


def _overdue_from(request: SyncRequest, situation: Situation) -> datetime | None:
    """When open forms will have held ``request`` back for its type's starvation budget, or
    ``None`` (no forms open, or no budget): the pause gate holds back every type but
    ``customers``, and a ``customers`` request waits behind the Smart Customer Syncs the forms
    ask for, which go first (with a form opening every few seconds, a scheduled full customer
    sync would otherwise never run)."""
    budget = situation.budgets.get(request.type)
    if budget is None or not situation.forms_open:
        return None
    return request.requested_at + budget


def overdue(request: SyncRequest, situation: Situation) -> bool:
    """Open forms have held ``request`` back for at least its type's starvation budget."""
    moment = _overdue_from(request, situation)
    return moment is not None and situation.now >= moment


def overdue_at(queue: Sequence[SyncRequest], situation: Situation) -> datetime | None:
    """When the next queued request held back by open forms becomes overdue (after now), or
    ``None``: the moment the dispatch must look again even if nothing else happens."""
    moments = [
        moment
        for request in queue
        if (moment := _overdue_from(request, situation)) is not None and moment > situation.now
    ]
    return min(moments, default=None)


def next_start(queue: Sequence[SyncRequest], situation: Situation) -> Operation | None:
    """The operation to start now, or ``None``.

    Args:
        queue: The queued requests in run order (see :meth:`SyncQueue.entries`).
        situation: The state now.
    """
    if situation.running is not None or situation.shutting_down:
        return None
    interactive_waits = situation.smart_waiting or situation.submission_ready is not None
    if interactive_waits and situation.interactive_last and situation.preemption:
        turn = next((r for r in queue if overdue(r, situation)), None)
        if turn is not None:
            return SyncOperation.sync(turn, overdue=True)
    if situation.smart_waiting:
        return SyncOperation(
            OperationKind.SMART_SYNC, SyncType.CUSTOMERS, situation.smart_mode, Trigger.SMART
        )
    if situation.submission_ready is not None:
        return SubmitOperation(situation.submission_ready)
    for request in queue:
        if may_start(request.type, forms_open=situation.forms_open):
            return SyncOperation.sync(request)
        if overdue(request, situation):
            return SyncOperation.sync(request, overdue=True)
    return None


def yield_reason(running: SyncOperation, situation: Situation) -> YieldReason | None:
    """Why the running sync must stop at its next page boundary, or ``None`` if it goes on."""
    if situation.shutting_down:
        return YieldReason.SHUTDOWN
    if running.smart or not situation.preemption:
        return None
    if not running.overdue and not may_start(running.type, forms_open=situation.forms_open):
        return YieldReason.FORMS_OPEN
    if situation.smart_waiting:
        return YieldReason.SMART_SYNC
    if situation.submission_ready is not None:
        return YieldReason.SUBMISSION
    return None


def wait_reason(request: SyncRequest, situation: Situation) -> Wait:
    """Why the queued ``request`` has not started yet."""
    held = not may_start(request.type, forms_open=situation.forms_open)
    if held and not overdue(request, situation):
        return Wait(WaitReason.FORMS_OPEN)
    running = situation.running
    if isinstance(running, SubmitOperation):
        return Wait(WaitReason.BEHIND_ORDERS)
    if running is not None:
        return Wait(WaitReason.BEHIND_RUNNING, running.type)
    return Wait(WaitReason.STARTING)
