"""``erpsync sync``, ``erpsync db upgrade`` and bad settings, from the command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from erpsync.cli import app
from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.support import free_port, serve_in_thread


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ERPSYNC_CONFIG", raising=False)
    monkeypatch.setenv("ERPSYNC_DATABASE_URL", f"sqlite:///{tmp_path}/erpsync.db")
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ERPSYNC_DEMO_ERP_PORT", str(free_port()))
    monkeypatch.setenv("ERPSYNC_DEMO_ERP_PROFILE", "instant")
    monkeypatch.setenv("ERPSYNC_DEMO_USERS", "false")
    return tmp_path


def test_db_upgrade_creates_the_schema(environment: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert (environment / "erpsync.db").exists()


def test_sync_runs_one_type_through_the_orchestrator_and_reports_it(environment: Path) -> None:
    result = CliRunner().invoke(app, ["sync", "prices", "--full"])
    assert result.exit_code == 0, result.output
    assert "sync_completed" in result.output
    assert "inserted=5000" in result.output


def test_sync_hands_the_request_to_a_running_service(environment: Path) -> None:
    service = create_app(load_settings(scheduler=False))
    with serve_in_thread(service):
        result = CliRunner().invoke(app, ["sync", "ddt"])
    assert result.exit_code == 0, result.output
    assert "another erpsync process runs the syncs" in result.output


def test_an_unknown_type_and_a_bad_setting_are_refused_clearly(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = CliRunner().invoke(app, ["sync", "widgets"])
    assert unknown.exit_code == 2
    assert "unknown sync type 'widgets'" in unknown.output
    monkeypatch.setenv("ERPSYNC_SAFETY_TIMEOUT_S", "soon")
    bad = CliRunner().invoke(app, ["db", "upgrade"])
    assert bad.exit_code == 2
    assert "safety_timeout_s" in bad.output
    assert "Traceback" not in bad.output


def test_a_demo_erp_port_taken_by_something_else_is_named(environment: Path) -> None:
    async def not_an_erp(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"no"})

    port = int(os.environ["ERPSYNC_DEMO_ERP_PORT"])
    with serve_in_thread(not_an_erp, port=port):
        result = CliRunner().invoke(app, ["sync", "prices"])
    assert result.exit_code == 1
    assert "is taken by something that is not the demo ERP" in result.output
