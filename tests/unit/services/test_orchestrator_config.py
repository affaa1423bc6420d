"""The orchestrator's defaults are the approved ones (SPEC §2.8, 2.9)."""

from __future__ import annotations

from datetime import timedelta

from erpsync.domain.types import SyncMode
from erpsync.services.orchestrator_config import OrchestratorConfig


def test_the_defaults_are_the_approved_ones() -> None:
    config = OrchestratorConfig()
    assert config.safety_timeout == timedelta(minutes=10)
    assert config.lease_ttl == timedelta(seconds=45)
    assert config.max_run_time == timedelta(minutes=15)
    assert config.full_sync_every == timedelta(hours=24)
    assert (config.scheduler, config.preemption) == (True, True)
    assert config.smart_sync_mode == SyncMode.INCREMENTAL
