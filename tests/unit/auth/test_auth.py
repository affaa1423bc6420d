"""Passwords, API tokens, the session secret and the login throttle."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from erpsync.auth.passwords import Passwords
from erpsync.auth.secret import SECRET_FILE, session_secret
from erpsync.auth.throttle import LoginThrottle
from erpsync.auth.tokens import PREFIX, new_token, token_digest
from erpsync.errors import ConfigurationError, InvalidUserError
from erpsync.settings import load_settings
from erpsync.testing import InMemoryLoginFailures

#: Cheap parameters: these tests check behaviour, not strength.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HOME, ELSEWHERE = "10.0.0.7", "203.0.113.9"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_a_password_verifies_against_its_argon2_hash_only() -> None:
    passwords = Passwords(FAST)
    stored = passwords.hash("segreto-1")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "segreto-1")
    assert not passwords.verify(stored, "segreto-2")
    assert not passwords.verify(None, "segreto-1")
    assert not passwords.verify("not a hash", "segreto-1")


def test_hashes_are_salted() -> None:
    passwords = Passwords(FAST)
    assert passwords.hash("uguale") != passwords.hash("uguale")


def test_a_hash_made_with_weaker_parameters_needs_rehashing() -> None:
    weak = Passwords(FAST).hash("segreto-1")
    assert Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)).needs_rehash(
        weak
    )
    assert not Passwords(FAST).needs_rehash(weak)


@pytest.mark.parametrize("password", ["", "abc", "x" * 257])
def test_passwords_too_short_or_too_long_are_refused(password: str) -> None:
    with pytest.raises(InvalidUserError):
        Passwords(FAST).hash(password)


def test_tokens_are_random_and_stored_as_digests() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert first.startswith(PREFIX)
    assert len(first) > 40
    assert token_digest(first) == token_digest(first)
    assert token_digest(first) != token_digest(second)
    assert first not in token_digest(first)
    assert len(token_digest(first)) == 64


def test_the_session_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    secret = session_secret(settings)
    assert len(secret) >= 32
    assert session_secret(settings) == secret
    path = tmp_path / "data" / SECRET_FILE
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_secret(load_settings(data_dir=tmp_path / "other")) != secret


def test_a_configured_session_secret_wins_and_must_be_long(tmp_path: Path) -> None:
    configured = "k" * 40
    assert session_secret(load_settings(data_dir=tmp_path, session_secret=configured)) == (
        configured
    )
    assert not (tmp_path / SECRET_FILE).exists()
    with pytest.raises(ConfigurationError, match="at least 32"):
        session_secret(load_settings(data_dir=tmp_path, session_secret="short"))


def test_a_truncated_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("abc\n")
    with pytest.raises(ConfigurationError, match="shorter"):
        session_secret(load_settings(data_dir=tmp_path))


def test_the_throttle_locks_a_name_at_an_address_after_too_many_failures_until_they_age() -> None:
    throttle = LoginThrottle(InMemoryLoginFailures(), max_failures=3, window=timedelta(minutes=5))
    for n in range(3):
        assert throttle.retry_after("anna", HOME, T0 + timedelta(seconds=n)) is None
        throttle.failed("anna", HOME, T0 + timedelta(seconds=n))
    assert throttle.retry_after("anna", HOME, T0 + timedelta(seconds=10)) == pytest.approx(290)
    assert throttle.retry_after("bruno", HOME, T0 + timedelta(seconds=10)) is None
    assert throttle.retry_after("ANNA ", HOME, T0 + timedelta(seconds=10)) is not None
    assert throttle.retry_after("anna", HOME, T0 + timedelta(minutes=5)) is None


def test_nobody_locks_an_agent_out_from_another_address() -> None:
    throttle = LoginThrottle(InMemoryLoginFailures(), max_failures=2)
    throttle.failed("anna", ELSEWHERE, T0)
    throttle.failed("anna", ELSEWHERE, T0)
    assert throttle.retry_after("anna", ELSEWHERE, T0) is not None
    assert throttle.retry_after("anna", HOME, T0) is None


def test_a_successful_sign_in_clears_the_failures() -> None:
    throttle = LoginThrottle(InMemoryLoginFailures(), max_failures=2)
    throttle.failed("anna", HOME, T0)
    throttle.succeeded("anna", HOME)
    throttle.failed("anna", HOME, T0)
    assert throttle.retry_after("anna", HOME, T0) is None


def test_the_throttle_forgets_failures_once_they_have_aged() -> None:
    failures = InMemoryLoginFailures()
    throttle = LoginThrottle(failures, max_failures=1, window=timedelta(minutes=1))
    for n in range(3):
        throttle.failed(f"user{n}", HOME, T0)
    throttle.failed("late", HOME, T0 + timedelta(minutes=2))
    assert throttle.retry_after("late", HOME, T0 + timedelta(minutes=2)) is not None
    assert len(failures) == 1, "the aged failures were purged"
