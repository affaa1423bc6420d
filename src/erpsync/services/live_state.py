"""What the orchestrator in charge is doing right now, as data.

The status page and API read this, never the orchestrator object, so a replica that does not
hold the orchestrator role shows the same status from the copy the holder publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from erpsync.domain.sessions import may_start
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.services.answers import SmartSyncResult

if TYPE_CHECKING:
    from erpsync.services.orchestrator import Orchestrator


@dataclass(frozen=True)
class QueuedView:
    type: SyncType
    mode: SyncMode
    priority: int
    trigger: str
    requested_at: datetime


@dataclass(frozen=True)
class RunningView:
    type: SyncType
    mode: SyncMode
    trigger: str
    started_at: datetime
    pages: int
    fetched: int
    smart: bool
    stopping: str | None


@dataclass(frozen=True)
class LiveState:
    anchor: datetime
    schedule: dict[SyncType, TypeSchedule]
    #: Empty when the scheduler is off: nothing will run unless asked.
    next_runs: dict[SyncType, datetime]
    last_fired: dict[SyncType, datetime]
    queue: list[QueuedView]
    running: RunningView | None
    sessions: int
    safety_deadline: datetime | None
    safety_timeout_s: int
    last_smart: SmartSyncResult | None

    @property
    def paused(self) -> bool:
        return self.sessions > 0

    def eligible(self, type: SyncType) -> bool:
        return may_start(type, forms_open=self.paused)

    def queued(self, type: SyncType) -> bool:
        return any(q.type == type for q in self.queue)

    def by_priority(self) -> list[SyncType]:
        return sorted(SyncType, key=lambda t: -self.schedule[t].priority)

    def as_json(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor.isoformat(),
            "schedule": {
                t.value: [e.priority, e.interval.total_seconds(), e.offset.total_seconds()]
                for t, e in self.schedule.items()
            },
            "next_runs": {t.value: at.isoformat() for t, at in self.next_runs.items()},
            "last_fired": {t.value: at.isoformat() for t, at in self.last_fired.items()},
            "queue": [
                [q.type.value, q.mode.value, q.priority, q.trigger, q.requested_at.isoformat()]
                for q in self.queue
            ],
            "running": None
            if self.running is None
            else {
                **self.running.__dict__,
                "type": self.running.type.value,
                "mode": self.running.mode.value,
                "started_at": self.running.started_at.isoformat(),
            },
            "sessions": self.sessions,
            "safety_deadline": _iso(self.safety_deadline),
            "safety_timeout_s": self.safety_timeout_s,
            "last_smart": None if self.last_smart is None else self.last_smart.as_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LiveState:
        running = data["running"]
        smart = data["last_smart"]
        return cls(
            anchor=datetime.fromisoformat(data["anchor"]),
            schedule={
                SyncType(t): TypeSchedule(
                    SyncType(t), p, timedelta(seconds=i), timedelta(seconds=o)
                )
                for t, (p, i, o) in data["schedule"].items()
            },
            next_runs={
                SyncType(t): datetime.fromisoformat(v) for t, v in data["next_runs"].items()
            },
            last_fired={
                SyncType(t): datetime.fromisoformat(v) for t, v in data["last_fired"].items()
            },
            queue=[
                QueuedView(SyncType(t), SyncMode(m), p, trig, datetime.fromisoformat(at))
                for t, m, p, trig, at in data["queue"]
            ],
            running=None
            if running is None
            else RunningView(
                **{
                    **running,
                    "type": SyncType(running["type"]),
                    "mode": SyncMode(running["mode"]),
                    "started_at": datetime.fromisoformat(running["started_at"]),
                }
            ),
            sessions=data["sessions"],
            safety_deadline=_parse(data["safety_deadline"]),
            safety_timeout_s=data["safety_timeout_s"],
            last_smart=None if smart is None else SmartSyncResult.from_json(smart),
        )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def capture(orch: Orchestrator) -> LiveState:
    """What ``orch`` is doing now, as data."""
    running = orch.running
    schedule = orch.schedule
    return LiveState(
        anchor=schedule.anchor,
        schedule={t: schedule.entry(t) for t in SyncType},
        next_runs={t: schedule.next_due(t, orch.memory.last_fired.get(t)) for t in SyncType}
        if orch.config.scheduler
        else {},
        last_fired={t: at for t, at in orch.memory.last_fired.items() if at is not None},
        queue=[
            QueuedView(r.type, r.mode, r.priority, r.trigger, r.requested_at)
            for r in orch.queue.entries()
        ],
        running=None
        if running is None
        else RunningView(
            type=running.request.type,
            mode=running.run.mode if running.run else running.request.mode,
            trigger=running.request.trigger,
            started_at=running.started_at,
            pages=running.run.checkpoint.pages if running.run else 0,
            fetched=running.run.counts.fetched if running.run else 0,
            smart=running.smart,
            stopping=running.yield_reason,
        ),
        sessions=orch.sessions.count,
        safety_deadline=orch.sessions.safety_deadline(),
        safety_timeout_s=int(orch.config.safety_timeout.total_seconds()),
        last_smart=orch.memory.last_smart,
    )
