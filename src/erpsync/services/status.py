"""The status the API and the dashboard show, read from the orchestrator and the run history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from erpsync.domain.health import OverallHealth, RunOutcome, TypeHealth, overall_health
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType
from erpsync.services.orchestrator import Orchestrator

HISTORY = 20


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def run_json(run: SyncRun) -> dict[str, Any]:
    counts = run.counts
    return {
        "id": run.id,
        "type": run.type.value,
        "mode": run.mode.value,
        "trigger": run.trigger,
        "status": run.status.value,
        "startedAt": _iso(run.started_at),
        "finishedAt": _iso(run.finished_at),
        "durationS": run.duration_s,
        "pages": run.checkpoint.pages,
        "counts": {
            "fetched": counts.fetched,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "deleted": counts.deleted,
            "quarantined": counts.quarantined,
        },
        "error": run.error,
    }


def _outcome(run: SyncRun) -> RunOutcome | None:
    if run.finished_at is None or run.status not in (RunStatus.COMPLETED, RunStatus.FAILED):
        return None
    succeeded = run.status == RunStatus.COMPLETED
    unreachable = not succeeded and (run.error or "").startswith("ERP ")
    return RunOutcome(run.type, succeeded, run.finished_at, unreachable)


def _health_json(health: TypeHealth) -> dict[str, Any]:
    return {
        "healthy": health.healthy,
        "lastSuccess": _iso(health.last_success),
        "consecutiveFailures": health.consecutive_failures,
        "stale": health.stale,
        "stalenessS": health.staleness_s,
        "erpReachable": health.erp_reachable,
    }


class StatusReader:
    """Builds the status document of ``GET /api/sync/status``."""

    def __init__(self, orchestrator: Orchestrator, now: datetime) -> None:
        self._orch = orchestrator
        self._now = now

    def type_status(self, type: SyncType, last: SyncRun | None) -> str:
        orch = self._orch
        running = orch.running
        if running is not None and running.request.type == type:
            return "running"
        if type in orch.queue:
            return "queued" if orch.eligible(type) else "paused"
        if last is None:
            return "idle"
        if last.status == RunStatus.FAILED:
            return "error"
        if last.status.resumable:
            return "paused"
        return "completed"

    def document(self, history: dict[SyncType, list[SyncRun]]) -> dict[str, Any]:
        orch = self._orch
        health = overall_health(
            [o for runs in history.values() for r in runs if (o := _outcome(r)) is not None],
            intervals={t: orch.schedule.entry(t).interval for t in SyncType},
            anchor=orch.schedule.anchor,
            now=self._now,
        )
        return {
            "generatedAt": _iso(self._now),
            "types": [self._type_json(t, history[t], health) for t in self._by_priority()],
            "current": self._current_json(history),
            "queue": self._queue_json(),
            "health": {
                "healthy": health.healthy,
                "erpReachable": health.erp_reachable,
                "types": {t.value: _health_json(h) for t, h in health.types.items()},
            },
            "smartSync": self.smart_json(),
        }

    def _by_priority(self) -> list[SyncType]:
        return sorted(SyncType, key=lambda t: -self._orch.schedule.priority(t))

    def _type_json(
        self, type: SyncType, runs: list[SyncRun], health: OverallHealth
    ) -> dict[str, Any]:
        orch = self._orch
        finished = [r for r in runs if r.finished_at is not None]
        last = runs[0] if runs else None
        entry = orch.schedule.entry(type)
        return {
            "type": type.value,
            "status": self.type_status(type, last),
            "priority": entry.priority,
            "lastRun": run_json(finished[0]) if finished else None,
            "nextRun": _iso(orch.schedule.next_due(type, orch.memory.last_fired.get(type))),
            "health": _health_json(health.types[type]),
        }

    def _current_json(self, history: dict[SyncType, list[SyncRun]]) -> dict[str, Any] | None:
        running = self._orch.running
        if running is None:
            return None
        type = running.request.type
        run = running.run
        fetched = run.counts.fetched if run else 0
        previous_full = next(
            (
                r.counts.fetched
                for r in history[type]
                if r.mode == SyncMode.FULL and r.status == RunStatus.COMPLETED
            ),
            None,
        )
        progress = None
        if previous_full and (run is None or run.mode == SyncMode.FULL):
            progress = min(0.99, fetched / previous_full)
        return {
            "type": type.value,
            "mode": (run.mode if run else running.request.mode).value,
            "trigger": running.request.trigger,
            "startedAt": _iso(running.started_at),
            "pages": run.checkpoint.pages if run else 0,
            "fetched": fetched,
            "progress": progress,
            "stopping": running.yield_reason,
        }

    def _queue_json(self) -> list[dict[str, Any]]:
        orch = self._orch
        entries = []
        for position, request in enumerate(orch.queue.entries(), start=1):
            if not orch.eligible(request.type):
                reason = "paused: an order form is open"
            elif orch.running is not None:
                reason = f"waiting for {orch.running.request.type.value} to finish"
            else:
                reason = "starting"
            entries.append(
                {
                    "position": position,
                    "type": request.type.value,
                    "mode": request.mode.value,
                    "priority": request.priority,
                    "trigger": request.trigger,
                    "requestedAt": _iso(request.requested_at),
                    "reason": reason,
                }
            )
        return entries

    def smart_json(self) -> dict[str, Any]:
        orch = self._orch
        sessions = orch.sessions
        deadline = sessions.safety_deadline()
        last = orch.memory.last_smart
        return {
            "activeSessions": sessions.count,
            "syncsPaused": sessions.paused,
            "safetyTimeoutActive": deadline is not None,
            "safetyTimeoutAt": _iso(deadline),
            "safetyTimeoutS": int(orch.config.safety_timeout.total_seconds()),
            "inFlight": orch.running is not None and orch.running.smart,
            "lastResult": None
            if last is None
            else {
                "status": last.status,
                "mode": last.mode.value,
                "fetched": last.fetched,
                "inserted": last.inserted,
                "updated": last.updated,
                "durationS": round(last.duration_s, 3),
                "syncS": round(last.sync_s, 3),
                "finishedAt": _iso(last.finished_at),
                "error": last.error,
            },
        }


def sync_status(
    orchestrator: Orchestrator, history: dict[SyncType, list[SyncRun]], now: datetime
) -> dict[str, Any]:
    return StatusReader(orchestrator, now).document(history)
