"""``erpsync users``: adding users, passwords and API tokens from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.cli import app
from erpsync.services.accounts import Accounts


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/erpsync.db"
    monkeypatch.setenv("ERPSYNC_DATABASE_URL", url)
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(tmp_path))
    return url


@contextmanager
def _accounts(url: str) -> Iterator[Accounts]:
    engine = build_engine(url)
    try:
        yield Accounts(SqlUserStore(engine), Passwords(), SystemClock())
    finally:
        engine.dispose()


def test_users_are_added_with_a_prompted_or_given_password(database: str) -> None:
    runner = CliRunner()
    agent = runner.invoke(
        app, ["users", "add", "Mario", "--agent-code", "A01"], input="segreto-1\nsegreto-1\n"
    )
    assert agent.exit_code == 0, agent.output
    admin = runner.invoke(app, ["users", "add", "capo", "--admin", "--password", "segreto-2"])
    assert admin.exit_code == 0, admin.output
    with _accounts(database) as accounts:
        mario = accounts.authenticate("mario", "segreto-1")
        capo = accounts.authenticate("capo", "segreto-2")
    assert mario is not None and mario.agent_code == "A01" and not mario.is_admin
    assert capo is not None and capo.is_admin
    listed = runner.invoke(app, ["users", "list"])
    assert listed.stdout.splitlines() == ["capo\tadmin\t-", "mario\tagent\tA01"]


def test_mistakes_are_reported_without_a_traceback(database: str) -> None:
    runner = CliRunner()
    runner.invoke(app, ["users", "add", "mario", "--agent-code", "A01", "--password", "segreto-1"])
    again = runner.invoke(app, ["users", "add", "mario", "--password", "segreto-1"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert "Traceback" not in again.output
    short = runner.invoke(app, ["users", "add", "luigi", "--password", "abc"])
    assert short.exit_code == 1
    assert "password" in short.output
    unknown = runner.invoke(app, ["users", "token", "nobody"])
    assert unknown.exit_code == 1
    assert "not found" in unknown.output


def test_an_agent_without_an_agent_code_is_warned_about(database: str) -> None:
    added = CliRunner().invoke(app, ["users", "add", "luigi", "--password", "segreto-1"])
    assert added.exit_code == 0
    assert "sees no customers" in added.output


def test_a_token_is_printed_once_and_signs_its_user_in(database: str) -> None:
    runner = CliRunner()
    runner.invoke(app, ["users", "add", "mario", "--agent-code", "A01", "--password", "segreto-1"])
    issued = runner.invoke(app, ["users", "token", "mario", "--label", "export"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    changed = runner.invoke(app, ["users", "password", "mario", "--password", "segreto-9"])
    assert changed.exit_code == 0
    with _accounts(database) as accounts:
        user = accounts.user_for_token(token)
        assert user is not None and user.name == "mario"
        assert accounts.authenticate("mario", "segreto-9") is not None
