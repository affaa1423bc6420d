"""How the orchestrator behaves: timeouts, limits and the policy switches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from erpsync.domain.sessions import DEFAULT_LEASE_TTL, DEFAULT_SAFETY_TIMEOUT
from erpsync.domain.types import SyncMode, SyncType


@dataclass(frozen=True)
class OrchestratorConfig:
    lease_ttl: timedelta = DEFAULT_LEASE_TTL
    safety_timeout: timedelta = DEFAULT_SAFETY_TIMEOUT
    max_run_time: timedelta = timedelta(minutes=15)
    #: Per-type watchdog limits that differ from ``max_run_time``.
    max_run_time_by_type: Mapping[SyncType, timedelta] = field(default_factory=dict)
    #: An order form gets the Smart Customer Sync's answer within this, the sync done or not.
    smart_answer_within: timedelta = timedelta(seconds=5)
    #: A page of the ERP taking longer than this is a hang, whatever the run's time limit.
    page_deadline: timedelta = timedelta(seconds=30)
    #: A type held back by open forms this many of its intervals runs in the gaps between
    #: interactive work (SPEC §2.11).
    starvation_budget: float = 2.0
    full_sync_every: timedelta = timedelta(hours=24)
    scheduler: bool = True
    #: At start, sync every type whose mirror is empty at once (SPEC §2.14). Off here, so an
    #: orchestrator built for a test or a bench starts idle; the service's settings turn it on.
    hydrate_on_start: bool = False
    #: Stop a running sync at its next page for the order form. Off only to measure what a
    #: plain priority queue would do (``bench/smart_sync.py``'s baseline).
    preemption: bool = True
    #: The Smart Customer Sync's mode; ``FULL`` only for that same baseline.
    smart_sync_mode: SyncMode = SyncMode.INCREMENTAL

    def time_limit(self, type: SyncType) -> timedelta:
        """The watchdog's limit on one run of ``type``."""
        return self.max_run_time_by_type.get(type, self.max_run_time)
