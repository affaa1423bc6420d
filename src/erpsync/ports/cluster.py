"""The boundaries between replicas: the orchestrator role, its commands, its published
snapshot, the fence on the mirror's writes, and telling a dead holder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True)
class Lease:
    """The orchestrator role, held by one process until ``expires_at``.

    ``epoch`` grows by one each time the role changes hands: writes fenced with it fail once
    another process has taken over. ``anchor`` is when the deployment first started; every
    holder keeps the schedule's grid on it.
    """

    holder: str
    epoch: int
    expires_at: datetime
    anchor: datetime


class LeaseStore(Protocol):
    """The one orchestrator role of a deployment, shared through the database."""

    def acquire(
        self,
        holder: str,
        now: datetime,
        ttl: timedelta,
        *,
        take_over: bool = False,
        fresh_start_after: timedelta | None = None,
    ) -> Lease | None:
        """Take or renew the role: granted when nobody holds it, when ``holder`` already does
        (the expiry moves on), when the current lease has expired, or with ``take_over`` (the
        caller knows the holder is dead). A new holder gets the next epoch. ``None`` when
        another holder's lease is still valid.

        The anchor is kept while the role passes from holder to holder; when it has been
        vacant for ``fresh_start_after`` or more, the deployment starts afresh: the anchor
        becomes ``now``."""

    def current(self) -> Lease | None: ...

    def release(self, holder: str, epoch: int, now: datetime) -> None:
        """End the lease now, if ``holder`` still holds it at ``epoch``."""


Document = dict[str, Any]
"""A command, an answer or a snapshot as JSON-ready data (see :mod:`erpsync.codec`)."""


@dataclass(frozen=True)
class StoredCommand:
    id: int
    document: Document


class CommandQueue(Protocol):
    """Commands for the orchestrator in charge, from any process, answered through the table.
    Documents are stored as given; reading them is the codec's business."""

    def submit(self, document: Document, now: datetime) -> int: ...

    def pending(self, limit: int = 100) -> list[StoredCommand]:
        """Commands not yet answered, oldest first."""

    def answer(self, command_id: int, reply: Document, now: datetime) -> None: ...

    def result(self, command_id: int) -> Document | None:
        """The reply, once there is one."""

    def purge(self, before: datetime) -> int:
        """Forget answered commands older than ``before``; return how many."""

    async def wait_for_work(self, timeout_s: float) -> None:
        """Return when a command may have arrived, or after ``timeout_s`` at the latest (a
        store that cannot tell simply waits). Callers check :meth:`pending` either way."""

    async def aclose(self) -> None: ...


class LiveStateStore(Protocol):
    """The copy of the orchestrator's snapshot that the holder publishes for every replica."""

    def publish(self, holder: str, epoch: int, state: Document, now: datetime) -> None: ...

    def read(self) -> tuple[Document, datetime] | None:
        """The latest published snapshot and when it was published."""


class Fence(Protocol):
    """Which process may write as the orchestrator. The mirror checks it inside every page
    transaction, so a process that lost the role can never write over its successor."""

    def hold(self, holder: str, epoch: int) -> None:
        """This process holds the role at ``epoch``: its writes carry that claim."""

    def drop(self) -> None:
        """This process no longer holds the role: its writes fail."""


class ProcessProbe(Protocol):
    """Tells whether the process that holds the role is gone (it cannot say so itself)."""

    def name(self) -> str:
        """A name for this process, unique in the deployment, that :meth:`gone` can read."""

    def gone(self, holder: str) -> bool:
        """True only when ``holder`` certainly no longer runs; ``False`` when unsure."""
