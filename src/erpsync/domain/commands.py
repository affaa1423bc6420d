"""Every input of the orchestrator, as a frozen record.

A command names its answer's type (``Command[A]``), so ``Orchestrator.handle`` returns exactly
that answer whichever transport carried the command: a call in this process, or the command
table between replicas (see :mod:`erpsync.codec`). A new command is one record here, one
branch of ``handle`` and one line in the codec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from erpsync.domain.answers import (
    AllRequested,
    FormClosed,
    FormOpened,
    FormPinged,
    OrdersAccepted,
    ScheduleChanged,
    SyncRequested,
)
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule

A = TypeVar("A")


@dataclass(frozen=True)
class Command(Generic[A]):
    """Base of every command; ``A`` is the type of its answer."""


@dataclass(frozen=True)
class RequestSync(Command[SyncRequested]):
    """Sync one type: it starts now, joins the queue, or merges."""

    type: SyncType
    mode: SyncMode = SyncMode.INCREMENTAL
    trigger: Trigger = Trigger.MANUAL


@dataclass(frozen=True)
class RequestAll(Command[AllRequested]):
    """Sync every type, in priority order."""

    mode: SyncMode = SyncMode.INCREMENTAL
    trigger: Trigger = Trigger.MANUAL


@dataclass(frozen=True)
class OpenForm(Command[FormOpened]):
    """An order form opened (or registered again) by user ``owner``: pause the others, sync
    customers. ``instance`` names the page load (a reload is a new one)."""

    session_id: str
    owner: int
    instance: str | None = None


@dataclass(frozen=True)
class PingForm(Command[FormPinged]):
    """A heartbeat of an open form; ``active`` when the user did something."""

    session_id: str
    owner: int
    active: bool = False


@dataclass(frozen=True)
class CloseForm(Command[FormClosed]):
    """An order form closed: syncs resume when none is left. The goodbye of a page load that
    is no longer the session's ``instance`` changes nothing."""

    session_id: str
    owner: int
    instance: str | None = None


@dataclass(frozen=True)
class ChangeSchedule(Command[ScheduleChanged]):
    """Put a new schedule entry in force at once, and keep it."""

    entry: TypeSchedule


@dataclass(frozen=True)
class SendOrders(Command[OrdersAccepted]):
    """Send these recorded submissions to the ERP (the outbox already holds them: this only
    tells the orchestrator, which would also find them at its next look)."""

    submission_ids: tuple[str, ...]
