"""The status the API and the dashboard show: the live state plus the run history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from erpsync.domain.health import OverallHealth, RunOutcome, TypeHealth, overall_health
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.sessions import wait_reason
from erpsync.domain.types import SyncMode, SyncType
from erpsync.services.live_state import LiveState

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


def type_status(live: LiveState, type: SyncType, last: SyncRun | None) -> str:
    if live.running is not None and live.running.type == type:
        return "running"
    if live.queued(type):
        return "queued" if live.eligible(type) else "paused"
    if last is None:
        return "idle"
    if last.status == RunStatus.FAILED:
        return "error"
    if last.status.resumable:
        return "paused"
    return "completed"


def schedule_json(live: LiveState) -> list[dict[str, Any]]:
    return [
        {
            "type": t.value,
            "intervalMinutes": live.schedule[t].interval.total_seconds() / 60,
            "offsetMinutes": live.schedule[t].offset.total_seconds() / 60,
            "priority": live.schedule[t].priority,
            "unit": "minutes",
            "nextRun": _iso(live.next_runs.get(t)),
        }
        for t in live.by_priority()
    ]


class StatusReader:
    """Builds the status document of ``GET /api/sync/status``."""

    def __init__(self, live: LiveState, now: datetime) -> None:
        self._live = live
        self._now = now

    def document(self, history: dict[SyncType, list[SyncRun]]) -> dict[str, Any]:
        live = self._live
        health = overall_health(
            [o for runs in history.values() for r in runs if (o := _outcome(r)) is not None],
            intervals={t: live.schedule[t].interval for t in SyncType},
            anchor=live.anchor,
            now=self._now,
        )
        return {
            "generatedAt": _iso(self._now),
            "types": [self._type_json(t, history[t], health) for t in live.by_priority()],
            "current": self._current_json(history),
            "queue": self._queue_json(),
            "health": {
                "healthy": health.healthy,
                "erpReachable": health.erp_reachable,
                "types": {t.value: _health_json(h) for t, h in health.types.items()},
            },
            "smartSync": self.smart_json(),
        }

    def _type_json(
        self, type: SyncType, runs: list[SyncRun], health: OverallHealth
    ) -> dict[str, Any]:
        live = self._live
        finished = [r for r in runs if r.finished_at is not None]
        return {
            "type": type.value,
            "status": type_status(live, type, runs[0] if runs else None),
            "priority": live.schedule[type].priority,
            "lastRun": run_json(finished[0]) if finished else None,
            "nextRun": _iso(live.next_runs.get(type)),
            "health": _health_json(health.types[type]),
        }

    def _current_json(self, history: dict[SyncType, list[SyncRun]]) -> dict[str, Any] | None:
        running = self._live.running
        if running is None:
            return None
        previous_full = next(
            (
                r.counts.fetched
                for r in history[running.type]
                if r.mode == SyncMode.FULL and r.status == RunStatus.COMPLETED
            ),
            None,
        )
        progress = None
        if previous_full and running.mode == SyncMode.FULL:
            progress = min(0.99, running.fetched / previous_full)
        return {
            "type": running.type.value,
            "mode": running.mode.value,
            "trigger": running.trigger,
            "startedAt": _iso(running.started_at),
            "pages": running.pages,
            "fetched": running.fetched,
            "progress": progress,
            "stopping": running.stopping,
        }

    def _queue_json(self) -> list[dict[str, Any]]:
        live = self._live
        entries = []
        for position, request in enumerate(live.queue, start=1):
            reason = wait_reason(
                request.type,
                forms_open=live.paused,
                running=None if live.running is None else live.running.type,
            )
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
        live = self._live
        last = live.last_smart
        return {
            "activeSessions": live.sessions,
            "syncsPaused": live.paused,
            "safetyTimeoutActive": live.safety_deadline is not None,
            "safetyTimeoutAt": _iso(live.safety_deadline),
            "safetyTimeoutS": live.safety_timeout_s,
            "inFlight": live.running is not None and live.running.smart,
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
    live: LiveState, history: dict[SyncType, list[SyncRun]], now: datetime
) -> dict[str, Any]:
    return StatusReader(live, now).document(history)
