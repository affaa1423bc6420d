"""What the orchestrator answers to its commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from erpsync.domain.runs import SyncRun
from erpsync.domain.types import SyncMode, SyncType


class RequestOutcome(StrEnum):
    STARTED = "started"
    QUEUED = "queued"
    MERGED = "merged"


@dataclass(frozen=True)
class RequestAnswer:
    type: SyncType
    outcome: RequestOutcome
    mode: SyncMode
    position: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "outcome": self.outcome.value,
            "mode": self.mode.value,
            "position": self.position,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestAnswer:
        return cls(
            SyncType(data["type"]),
            RequestOutcome(data["outcome"]),
            SyncMode(data["mode"]),
            data["position"],
        )


@dataclass(frozen=True)
class SmartSyncResult:
    status: str
    mode: SyncMode
    fetched: int
    inserted: int
    updated: int
    #: From the request to the end: what the agent waited, including any page in flight.
    duration_s: float
    #: The customer sync alone.
    sync_s: float
    finished_at: datetime
    run_id: int | None
    error: str | None = None
    reused: bool = False

    @classmethod
    def from_run(
        cls, run: SyncRun, requested_at: datetime, finished_at: datetime
    ) -> SmartSyncResult:
        return cls(
            status=run.status.value,
            mode=run.mode,
            fetched=run.counts.fetched,
            inserted=run.counts.inserted,
            updated=run.counts.updated,
            duration_s=(finished_at - requested_at).total_seconds(),
            sync_s=(finished_at - run.started_at).total_seconds(),
            finished_at=finished_at,
            run_id=run.id,
            error=run.error,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "mode": self.mode.value,
            "finished_at": self.finished_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SmartSyncResult:
        return cls(
            **{
                **data,
                "mode": SyncMode(data["mode"]),
                "finished_at": datetime.fromisoformat(data["finished_at"]),
            }
        )
