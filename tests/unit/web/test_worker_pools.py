"""The routes' blocking work runs on a few threads, the number the settings give."""

from __future__ import annotations

import anyio.to_thread

from erpsync.settings import Settings
from erpsync.web.app import limit_route_threads


def test_four_threads_by_default() -> None:
    assert Settings.model_fields["worker_threads"].default == 4


async def test_the_routes_run_on_the_configured_threads() -> None:
    limit_route_threads(3)
    assert anyio.to_thread.current_default_thread_limiter().total_tokens == 3
