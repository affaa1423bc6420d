"""Serving the demo ERP over real HTTP with uvicorn."""

from __future__ import annotations

import uvicorn

from erpsync.demo_erp.app import create_demo_erp_app
from erpsync.demo_erp.config import DemoErpConfig


def demo_erp_server(
    host: str, port: int, config: DemoErpConfig, *, embedded: bool = False
) -> uvicorn.Server:
    """A uvicorn server for a fresh demo ERP; ``await server.serve()`` runs it in a loop
    you own (tests start it next to the app under test).

    ``embedded`` (beside the app, in its process) leaves the process's logging alone and
    logs no line per request: uvicorn's own logging set-up would take over the app's.
    """
    app = create_demo_erp_app(config)
    if embedded:
        settings = uvicorn.Config(
            app, host=host, port=port, log_config=None, log_level="warning", access_log=False
        )
    else:
        settings = uvicorn.Config(app, host=host, port=port, log_level="info")
    return uvicorn.Server(settings)


def run_demo_erp(host: str, port: int, config: DemoErpConfig) -> None:
    """Serve a demo ERP until interrupted (blocks; this is what the CLI calls)."""
    demo_erp_server(host, port, config).run()
