from __future__ import annotations

import pytest

from erpsync.demo_erp.config import DemoErpConfig, FaultSettings, LatencyProfile, Volumes
from erpsync.domain.types import SyncType
from erpsync.errors import ConfigurationError


def test_defaults_describe_a_mid_size_agency() -> None:
    config = DemoErpConfig()

    assert config.seed == 7
    assert [config.volumes.of(t) for t in SyncType] == [1000, 1500, 1100, 1000, 5000, 4500]
    assert config.token == "demo-token"
    assert config.ticker_interval_seconds is None
    assert config.agent_codes == ("A01", "A02", "A03")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Volumes(customers=-1),
        lambda: FaultSettings(error_rate=1.5),
        lambda: FaultSettings(error_rate=0.6, timeout_rate=0.6),
        lambda: FaultSettings(fail_next=-1),
        lambda: FaultSettings(reject_next=-1),
        lambda: FaultSettings(fail_before_commit_next=-1),
        lambda: FaultSettings(lose_answer_next=-1),
        lambda: DemoErpConfig(token=""),
        lambda: DemoErpConfig(ticker_interval_seconds=0),
        lambda: DemoErpConfig(agent_codes=()),
        lambda: DemoErpConfig(latency="sluggish"),  # type: ignore[arg-type]
    ],
)
def test_invalid_settings_are_refused(build: object) -> None:
    with pytest.raises(ConfigurationError):
        build()  # type: ignore[operator]


def test_profile_names_are_the_documented_ones() -> None:
    assert {p.value for p in LatencyProfile} == {"realistic", "instant"}
    assert DemoErpConfig(latency=LatencyProfile("instant")).latency is LatencyProfile.INSTANT
    name_given = DemoErpConfig(latency="realistic")  # type: ignore[arg-type]
    assert name_given.latency is LatencyProfile.REALISTIC
