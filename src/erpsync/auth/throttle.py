"""Slows down password guessing: too many failed sign-ins for a name lock it for a while."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class LoginThrottle:
    """Counts failed sign-ins per key (the user name) in a sliding window.

    After ``max_failures`` failures within ``window`` the key is refused until the oldest of
    them leaves the window. A success clears the key. Time is passed in by the caller.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: timedelta = timedelta(minutes=5),
        max_keys: int = 10_000,
    ) -> None:
        self._max = max_failures
        self._window = window
        self._max_keys = max_keys
        self._failures: dict[str, deque[datetime]] = {}

    def __len__(self) -> int:
        """How many names are being tracked."""
        return len(self._failures)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self._window:
            failures.popleft()
        return failures

    def retry_after(self, key: str, now: datetime) -> float | None:
        """Seconds until ``key`` may try again, or ``None`` if it may try now."""
        failures = self._recent(key, now)
        if len(failures) < self._max:
            return None
        return (failures[0] + self._window - now).total_seconds()

    def failed(self, key: str, now: datetime) -> None:
        if key not in self._failures and len(self._failures) >= self._max_keys:
            self._prune(now)
        failures = self._recent(key, now)
        failures.append(now)
        self._failures[key] = failures

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _prune(self, now: datetime) -> None:
        for key in list(self._failures):
            if not self._recent(key, now):
                del self._failures[key]
        while len(self._failures) >= self._max_keys:
            del self._failures[next(iter(self._failures))]
