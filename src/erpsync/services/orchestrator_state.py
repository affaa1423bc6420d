"""What the orchestrator holds between its decisions: the running sync, the smart-sync slot
and what it remembers of past runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from erpsync.domain.queue import SyncRequest
from erpsync.domain.runs import SyncRun
from erpsync.domain.types import SyncType
from erpsync.services.answers import SmartSyncResult

#: Interactive work (the Smart Customer Sync) goes before any queued sync.
SMART_TRIGGER = "smart"


@dataclass
class Running:
    """The one sync in progress."""

    request: SyncRequest
    started_at: datetime
    task: asyncio.Task[None] | None = None
    run: SyncRun | None = None
    yield_reason: str | None = None

    @property
    def smart(self) -> bool:
        return self.request.trigger == SMART_TRIGGER


@dataclass
class SmartSlot:
    future: asyncio.Future[SmartSyncResult]
    requested_at: datetime
    started: bool = False


@dataclass
class Memory:
    """What the orchestrator remembers between runs, for status and decisions."""

    last_fired: dict[SyncType, datetime | None] = field(default_factory=dict)
    last_full: dict[SyncType, datetime] = field(default_factory=dict)
    last_smart: SmartSyncResult | None = None
