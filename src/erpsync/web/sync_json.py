"""How the orchestrator's records leave the API: the status, runs, schedule, sync requests and
order-form answers. Keys are camelCase; reasons, statuses and kinds are codes the pages
translate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sse_starlette import ServerSentEvent

from erpsync.domain.answers import FormState, SmartSyncResult, SyncRequested
from erpsync.domain.dispatch import Wait
from erpsync.domain.health import TypeHealth
from erpsync.domain.runs import SyncRun
from erpsync.domain.snapshot import OrderView, QueuedView, RunningView, Snapshot
from erpsync.services.cluster import RoleView
from erpsync.services.events import Event
from erpsync.services.status import StatusReport, TypeReport
from erpsync.web.kept import KeptByIdentity


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def run_json(run: SyncRun) -> dict[str, Any]:
    counts = run.counts
    return {
        "id": run.id,
        "type": run.type.value,
        "mode": run.mode.value,
        "trigger": run.trigger.value,
        "status": run.status.value,
        "startedAt": _iso(run.started_at),
        "finishedAt": _iso(run.finished_at),
        "durationS": run.duration_s,
        "runningS": run.running_s,
        "segments": [
            {"start": _iso(segment.start), "end": _iso(segment.end)} for segment in run.segments
        ],
        "runningSince": _iso(run.running_since),
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
        "errorKind": None if run.error_kind is None else run.error_kind.value,
    }


def health_json(health: TypeHealth) -> dict[str, Any]:
    return {
        "healthy": health.healthy,
        "lastSuccess": _iso(health.last_success),
        "consecutiveFailures": health.consecutive_failures,
        "stale": health.stale,
        "stalenessS": health.staleness_s,
        "erpReachable": health.erp_reachable,
        "hung": health.hung,
    }


def schedule_json(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [
        {
            "type": t.value,
            "intervalMinutes": snapshot.schedule[t].interval.total_seconds() / 60,
            "offsetMinutes": snapshot.schedule[t].offset.total_seconds() / 60,
            "priority": snapshot.schedule[t].priority,
            "unit": "minutes",
            "nextRun": _iso(snapshot.next_runs.get(t)),
        }
        for t in snapshot.by_priority()
    ]


def wait_json(wait: Wait) -> dict[str, Any]:
    return {
        "reason": wait.reason.value,
        "behind": None if wait.behind is None else wait.behind.value,
    }


def _queued_json(position: int, queued: QueuedView) -> dict[str, Any]:
    return {
        "position": position,
        "type": queued.type.value,
        "mode": queued.mode.value,
        "priority": queued.priority,
        "trigger": queued.trigger.value,
        "requestedAt": _iso(queued.requested_at),
        **wait_json(queued.wait),
    }


def _current_json(running: RunningView, progress: float | None) -> dict[str, Any]:
    return {
        "kind": running.kind.value,
        "type": running.type.value,
        "mode": running.mode.value,
        "trigger": running.trigger.value,
        "startedAt": _iso(running.started_at),
        "pages": running.pages,
        "fetched": running.fetched,
        "progress": progress,
        "progressAt": _iso(running.progress_at),
        "overdue": running.overdue,
        "stopping": None if running.stopping is None else running.stopping.value,
    }


def _type_json(report: TypeReport) -> dict[str, Any]:
    return {
        "type": report.type.value,
        "status": report.status.value,
        "priority": report.priority,
        "lastRun": None if report.last_run is None else run_json(report.last_run),
        "nextRun": _iso(report.next_run),
        "health": health_json(report.health),
    }


def smart_result_json(result: SmartSyncResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "mode": result.mode.value,
        "fetched": result.fetched,
        "inserted": result.inserted,
        "updated": result.updated,
        "durationS": round(result.duration_s, 3),
        "syncS": round(result.sync_s, 3),
        "finishedAt": _iso(result.finished_at),
        "error": result.error,
        "errorKind": None if result.error_kind is None else result.error_kind.value,
    }


def smart_json(snapshot: Snapshot) -> dict[str, Any]:
    last = snapshot.last_smart
    return {
        "activeSessions": snapshot.sessions,
        "syncsPaused": snapshot.paused,
        "safetyTimeoutActive": snapshot.safety_deadline is not None,
        "safetyTimeoutAt": _iso(snapshot.safety_deadline),
        "safetyTimeoutS": snapshot.safety_timeout_s,
        "inFlight": snapshot.running is not None and snapshot.running.smart,
        "waiting": snapshot.smart_waiting,
        "lastResult": None if last is None else smart_result_json(last),
    }


def hydration_json(snapshot: Snapshot) -> dict[str, Any] | None:
    """The first start's loading of the empty types, or ``None`` when this start had none."""
    hydration = snapshot.hydration
    if hydration is None:
        return None
    return {
        "active": hydration.active,
        "beganAt": _iso(hydration.began_at),
        "endedAt": _iso(hydration.ended_at),
        "done": len(hydration.done),
        "total": len(hydration.types),
        "types": [
            {"type": t.value, "state": state.value}
            for t in hydration.types
            if (state := snapshot.hydration_state(t)) is not None
        ],
    }


def role_json(role: RoleView) -> dict[str, Any]:
    return {"node": role.node, "holdsRole": role.holds_role, "stateAgeS": role.state_age_s}


def orders_json(report: StatusReport, viewer: int | None, *, admin: bool) -> dict[str, Any]:
    """The orders waiting for the ERP and sent today. An agent sees other agents' orders as
    places in the line only; an admin sees whose they are."""
    today = report.orders_today

    def entry(position: int, order: OrderView) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "position": position,
            "queuedAt": _iso(order.queued_at),
            "attempts": order.attempts,
            "sendingSince": _iso(order.sending_since),
            "nextAttemptAt": _iso(order.next_attempt_at),
            "mine": order.owner == viewer,
        }
        if admin or order.owner == viewer:  # an error may quote the order itself
            shown |= {
                "submission": order.submission_id,
                "draftId": order.draft_id,
                "customerCode": order.customer_code,
                "lastError": order.last_error,
            }
        if admin:
            shown["agentCode"] = order.agent_code
        return shown

    orders = report.snapshot.orders
    return {
        "waiting": len(orders),
        "sending": any(o.sending_since is not None for o in orders),
        "placedToday": today.get("placed", 0),
        "rejectedToday": today.get("rejected", 0),
        "queue": [entry(n, o) for n, o in enumerate(orders, start=1)],
    }


def status_json(
    report: StatusReport, viewer: int | None = None, *, admin: bool = False
) -> dict[str, Any]:
    """The status document for user ``viewer`` (see :func:`orders_json`)."""
    snapshot = report.snapshot
    health = report.health
    return {
        "generatedAt": _iso(report.generated_at),
        "types": [_type_json(t) for t in report.types],
        "current": None
        if snapshot.running is None
        else _current_json(snapshot.running, report.progress),
        "queue": [_queued_json(n, q) for n, q in enumerate(snapshot.queue, start=1)],
        "health": {
            "healthy": health.healthy,
            "erpReachable": health.erp_reachable,
            "types": {t.value: health_json(h) for t, h in health.types.items()},
        },
        "smartSync": smart_json(snapshot),
        "hydration": hydration_json(snapshot),
        "orders": orders_json(report, viewer, admin=admin),
        "orchestrator": role_json(report.role),
    }


def requested_json(answer: SyncRequested) -> dict[str, Any]:
    return {
        "type": answer.type.value,
        "outcome": answer.outcome.value,
        "mode": answer.mode.value,
        "position": answer.position,
    }


def forms_json(forms: FormState) -> dict[str, Any]:
    return {"activeSessions": forms.sessions, "syncsPaused": forms.paused}


#: What a step tells only the user it belongs to: their form, their order.
PRIVATE_FIELDS = (
    "session",
    "submission",
    "draft",
    "customer",
    "number",
    "erp_state",
    "reasons",
    "cause",  # an ERP error may quote the order
)


def event_json(event: Event, viewer: int | None) -> dict[str, Any]:
    """A coordination step for the live stream of user ``viewer``: another user's order form
    shows as a count (``sessions``), never by its id, another user's order without what it
    is; nobody is told who owns them. The viewer's own steps say ``mine``."""
    fields = dict(event.fields)
    owner = fields.pop("owner", None)
    if owner is not None and owner == viewer:
        fields["mine"] = True
    else:
        for name in PRIVATE_FIELDS:
            fields.pop(name, None)
    return {"seq": event.seq, "action": event.action.value, "at": event.at.isoformat(), **fields}


def _messages(event: Event) -> tuple[bytes, bytes]:
    """The step as a Server-Sent Event: for anyone but its owner, and for its owner."""
    owner = event.fields.get("owner")
    others = _message(event, viewer=None)
    return others, (others if owner is None else _message(event, viewer=owner))


def _message(event: Event, viewer: int | None) -> bytes:
    data = json.dumps(event_json(event, viewer), default=str)
    return ServerSentEvent(data, event=event.action.value).encode()


#: Every stream gets every step: each is encoded once, not once a stream.
_MESSAGES = KeptByIdentity(_messages, size=512)


def event_message(event: Event, viewer: int) -> bytes:
    """The step as the Server-Sent Event of :func:`event_json` for user ``viewer``."""
    others, mine = _MESSAGES.of(event)
    owner = event.fields.get("owner")
    return mine if owner is not None and owner == viewer else others


async def event_writes(queue: asyncio.Queue[Event], viewer: int) -> AsyncIterator[bytes]:
    """The stream's writes for ``viewer``: each one every step queued by the time it is made,
    waiting for the next step when none is."""
    while True:
        events = [await queue.get()]
        while not queue.empty():
            events.append(queue.get_nowait())
        yield b"".join(event_message(event, viewer) for event in events)
