"""The requests' blocking work runs on a few threads, the number the settings give."""

from __future__ import annotations

import asyncio
import threading

import anyio.to_thread

from erpsync.settings import Settings
from erpsync.web.app import size_worker_pools


def test_four_threads_by_default() -> None:
    assert Settings.model_fields["worker_threads"].default == 4


async def test_both_pools_get_the_configured_threads() -> None:
    size_worker_pools(3)
    assert anyio.to_thread.current_default_thread_limiter().total_tokens == 3

    before = set(threading.enumerate())
    release = threading.Event()
    tasks = [asyncio.create_task(asyncio.to_thread(release.wait, 10)) for _ in range(6)]
    await asyncio.sleep(0)  # a turn of the loop: each task has handed its work to the pool
    started = [t for t in threading.enumerate() if t not in before]
    release.set()
    assert all(await asyncio.gather(*tasks))
    # six blocked calls: a pool of more threads would have started six
    assert len(started) == 3
    assert all(t.name.startswith("erpsync-worker") for t in started)
