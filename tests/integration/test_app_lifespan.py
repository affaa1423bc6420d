"""What the app sets up for itself when it starts, beyond its services."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread

from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.support import free_port


async def test_the_routes_get_the_threads_the_settings_give(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/erpsync.db",
        demo_erp_port=free_port(),
        demo_erp_profile="instant",
        demo_erp_ticker_s=None,
        scheduler=False,
        demo_users=False,
        data_dir=str(tmp_path),
        worker_threads=3,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert anyio.to_thread.current_default_thread_limiter().total_tokens == 3
