"""Slows down password guessing: too many failed sign-ins for one name from one client address
lock that name at that address for a while.

Keyed by name *and* address, so nobody can lock an agent out from elsewhere; counted in the
database, so several replicas allow no more guesses than one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from erpsync.ports import LoginFailures


def throttle_key(name: str, address: str) -> str:
    return f"{name.strip().lower()[:100]}@{address[:90]}"


class LoginThrottle:
    """After ``max_failures`` failures within ``window`` a key is refused until the oldest of
    them leaves the window; a success clears the key. Time is passed in by the caller."""

    def __init__(
        self,
        failures: LoginFailures,
        max_failures: int = 5,
        window: timedelta = timedelta(minutes=5),
    ) -> None:
        self._failures = failures
        self._max = max_failures
        self._window = window

    def retry_after(self, name: str, address: str, now: datetime) -> float | None:
        """Seconds until ``name`` may try again from ``address``; ``None`` if it may now."""
        recent = self._failures.since(throttle_key(name, address), now - self._window)
        if len(recent) < self._max:
            return None
        return max(0.0, (recent[-self._max] + self._window - now).total_seconds())

    def failed(self, name: str, address: str, now: datetime) -> None:
        self._failures.record(throttle_key(name, address), now)
        self._failures.purge(now - self._window)

    def succeeded(self, name: str, address: str) -> None:
        self._failures.clear(throttle_key(name, address))
