"""The ERP's single working session: a second client in flight is turned away, not queued."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from erpsync.demo_erp.errors import SessionBusyError


class ErpSession:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold the session for one request.

        Raises:
            SessionBusyError: another request holds it (the caller never waits).
        """
        if self._lock.locked():
            raise SessionBusyError("another session is in flight")
        async with self._lock:
            yield
