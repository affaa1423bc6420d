"""Settings: environment, TOML file, and clear messages for bad values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from erpsync.bootstrap import orchestrator_config
from erpsync.domain.types import SyncType
from erpsync.errors import ConfigurationError
from erpsync.settings import load_settings


def test_defaults_are_sqlite_and_the_embedded_demo_erp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERPSYNC_CONFIG", raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.embedded_demo_erp
    assert settings.effective_erp_url == "http://127.0.0.1:8765"


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPSYNC_ERP_URL", "http://erp.example:9000")
    monkeypatch.setenv("ERPSYNC_SAFETY_TIMEOUT_S", "30")
    settings = load_settings()
    assert not settings.embedded_demo_erp
    assert settings.safety_timeout_s == 30


def test_runs_are_kept_thirty_days_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().run_history == timedelta(days=30)
    monkeypatch.setenv("ERPSYNC_RUN_HISTORY_DAYS", "7")
    assert load_settings().run_history == timedelta(days=7)
    monkeypatch.setenv("ERPSYNC_RUN_HISTORY_DAYS", "0")
    assert load_settings().run_history is None


def test_a_toml_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "erpsync.toml"
    config.write_text("port = 9001\n[max_run_time_by_type_s]\nproducts = 1800\n")
    monkeypatch.setenv("ERPSYNC_CONFIG", str(config))
    settings = load_settings()
    assert settings.port == 9001
    assert settings.max_run_time_by_type_s == {SyncType.PRODUCTS: 1800}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ERPSYNC_PORT", "eighty", "port"),
        ("ERPSYNC_SAFETY_TIMEOUT_S", "-1", "safety_timeout_s"),
        ("ERPSYNC_DEMO_ERP_PROFILE", "fast", "demo_erp_profile"),
        ("ERPSYNC_MAX_RUN_TIME_BY_TYPE_S", '{"widgets": 10}', "max_run_time_by_type_s"),
    ],
)
def test_an_invalid_setting_stops_with_a_message_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=message):
        load_settings()


def test_a_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPSYNC_CONFIG", "/nonexistent/erpsync.toml")
    with pytest.raises(ConfigurationError, match="no such file"):
        load_settings()


@pytest.mark.parametrize("value", ["0", "off", "none", "", "never"])
def test_the_demo_erps_ticker_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ERPSYNC_DEMO_ERP_TICKER_S", value)
    assert load_settings().demo_erp_ticker_s is None
    monkeypatch.setenv("ERPSYNC_DEMO_ERP_TICKER_S", "15")
    assert load_settings().demo_erp_ticker_s == 15


def test_the_log_format_is_text_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().log_format == "text"
    monkeypatch.setenv("ERPSYNC_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("ERPSYNC_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="log_format"):
        load_settings()


@pytest.mark.parametrize(
    ("scheduler", "hydrate", "hydrates"),
    [
        ("true", None, True),
        ("false", None, False),
        ("false", "true", True),
        ("true", "false", False),
    ],
)
def test_a_first_start_hydrates_with_the_scheduler_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, scheduler: str, hydrate: str | None, hydrates: bool
) -> None:
    monkeypatch.setenv("ERPSYNC_SCHEDULER", scheduler)
    if hydrate is not None:
        monkeypatch.setenv("ERPSYNC_HYDRATE_ON_START", hydrate)
    settings = load_settings()
    assert settings.hydrates_on_start is hydrates
    assert orchestrator_config(settings).hydrate_on_start is hydrates
