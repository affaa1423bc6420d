"""The only source of time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The only source of time. ``now()`` is timezone-aware UTC."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None:
        """Suspend for ``seconds`` of this clock's time (a fake clock waits for ``advance``)."""
