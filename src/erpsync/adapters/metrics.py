"""Metrics for operators, in the Prometheus text format (prometheus-client).

Counters and histograms follow the coordination steps as they are emitted; the gauges are read
from the orchestrator's snapshot when scraped. Each process keeps its own registry: on several
replicas, the syncs and the ERP's answers are counted by the one holding the role.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from erpsync.domain.snapshot import Snapshot
from erpsync.domain.types import SyncType
from erpsync.errors import error_kind
from erpsync.ports import ErpSource, SourcePage
from erpsync.services.events import Event, EventAction

RECORD_OUTCOMES = ("inserted", "updated", "unchanged", "deleted", "quarantined")
RUN_SECONDS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
SMART_SECONDS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self._runs = Counter(
            "erpsync_sync_runs",
            "Sync runs that ended or gave way, by type and outcome",
            ["type", "outcome"],
            registry=registry,
        )
        self._run_seconds = Histogram(
            "erpsync_sync_run_seconds",
            "Running time of completed sync runs (pauses not counted)",
            ["type"],
            buckets=RUN_SECONDS,
            registry=registry,
        )
        self._records = Counter(
            "erpsync_sync_records",
            "Records of completed sync runs, by outcome",
            ["type", "outcome"],
            registry=registry,
        )
        self._smart = Histogram(
            "erpsync_smart_sync_seconds",
            "How long an order form waited for its Smart Customer Sync",
            ["status"],
            buckets=SMART_SECONDS,
            registry=registry,
        )
        self._erp_pages = Counter(
            "erpsync_erp_pages", "Pages asked of the ERP, by type", ["type"], registry=registry
        )
        self._erp_errors = Counter(
            "erpsync_erp_errors",
            "Pages the ERP did not serve (after the retries), by kind",
            ["kind"],
            registry=registry,
        )
        self._overdue = Counter(
            "erpsync_sync_overdue",
            "Syncs started though order forms were open, past their starvation budget",
            ["type"],
            registry=registry,
        )
        self._orders = Counter(
            "erpsync_orders",
            "Orders sent to the ERP: placed (also found by the orders sync), refused, or "
            "retried after an attempt without an answer",
            ["outcome"],
            registry=registry,
        )
        self._order_seconds = Histogram(
            "erpsync_order_seconds",
            'From "Invia" until the ERP\'s number, for placed orders',
            buckets=SMART_SECONDS,
            registry=registry,
        )
        self._orders_waiting = Gauge(
            "erpsync_orders_waiting", "Orders waiting to be sent to the ERP", registry=registry
        )
        self._queue = Gauge("erpsync_queue_length", "Sync requests waiting", registry=registry)
        self._paused = Gauge(
            "erpsync_syncs_paused", "1 while an order form holds the syncs", registry=registry
        )
        self._sessions = Gauge("erpsync_form_sessions", "Order forms open", registry=registry)
        self._running = Gauge(
            "erpsync_sync_running", "1 for the type syncing now", ["type"], registry=registry
        )
        self._role = Gauge(
            "erpsync_role_held",
            "1 while this process holds the orchestrator role",
            registry=registry,
        )
        self._epoch = Gauge(
            "erpsync_role_epoch",
            "The orchestrator role's epoch this process knows",
            registry=registry,
        )
        self._state_age = Gauge(
            "erpsync_state_age_seconds",
            "How old the holder's published state is, on a process that does not hold the role",
            registry=registry,
        )

    # -- from the coordination steps --------------------------------------------------------

    def observe(self, event: Event) -> None:
        fields = event.fields
        match event.action:
            case EventAction.SYNC_COMPLETED:
                type = str(fields["type"])
                self._runs.labels(type, "completed").inc()
                self._run_seconds.labels(type).observe(float(fields.get("running_s", 0.0)))
                for outcome in RECORD_OUTCOMES:
                    self._records.labels(type, outcome).inc(int(fields.get(outcome, 0)))
            case EventAction.SYNC_FAILED:
                self._runs.labels(str(fields["type"]), "failed").inc()
            case EventAction.SYNC_PREEMPTED:
                self._runs.labels(str(fields["type"]), "gave_way").inc()
            case EventAction.SYNC_OVERDUE:
                self._overdue.labels(str(fields["type"])).inc()
            case EventAction.SMART_SYNC_COMPLETED:
                self._smart.labels(str(fields["status"])).observe(float(fields["duration_s"]))
            case EventAction.SMART_SYNC_TIMED_OUT:
                self._smart.labels("timed_out").observe(float(fields["waited_s"]))
            case EventAction.ORDER_PLACED:
                self._orders.labels("placed").inc()
                if "waited_s" in fields:
                    self._order_seconds.observe(float(fields["waited_s"]))
            case EventAction.ORDER_REJECTED:
                self._orders.labels("rejected").inc()
            case EventAction.SUBMISSION_RETRIED:
                self._orders.labels("retried").inc()
            case _:
                return

    def erp_page(self, type: SyncType) -> None:
        self._erp_pages.labels(type.value).inc()

    def erp_error(self, exc: BaseException) -> None:
        self._erp_errors.labels(error_kind(exc).value).inc()

    # -- scraped ----------------------------------------------------------------------------

    def render(
        self,
        snapshot: Snapshot | None,
        *,
        holds_role: bool,
        epoch: int | None,
        state_age_s: float | None,
    ) -> bytes:
        """The text exposition, the gauges set from ``snapshot`` (``None``: not known)."""
        if snapshot is not None:
            self._queue.set(len(snapshot.queue))
            self._paused.set(1 if snapshot.paused else 0)
            self._sessions.set(snapshot.sessions)
            self._orders_waiting.set(len(snapshot.orders))
            for type in SyncType:
                running = snapshot.running is not None and snapshot.running.type == type
                self._running.labels(type.value).set(1 if running else 0)
        self._role.set(1 if holds_role else 0)
        self._epoch.set(epoch or 0)
        self._state_age.set(state_age_s or 0.0)
        return generate_latest(self.registry)


class MeteredSource:
    """An :class:`~erpsync.ports.ErpSource` that counts the pages it is asked for, and the
    ones it could not serve, by kind."""

    def __init__(self, inner: ErpSource, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        self._metrics.erp_page(type)
        try:
            return await self._inner.fetch_page(type, since=since, cursor=cursor, limit=limit)
        except Exception as exc:
            self._metrics.erp_error(exc)
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()
