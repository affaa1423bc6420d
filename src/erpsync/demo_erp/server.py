"""Serving the demo ERP over real HTTP with uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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
        return EmbeddedServer(settings)
    settings = uvicorn.Config(app, host=host, port=port, log_level="info")
    return uvicorn.Server(settings)


class EmbeddedServer(uvicorn.Server):
    """A server beside the app, in its process, that leaves the signals to the app's server.

    uvicorn's own would take Ctrl-C for itself and stop first, so a sync still running while
    the app shuts down would lose its ERP; the app stops it last instead, once its syncs have.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_demo_erp(host: str, port: int, config: DemoErpConfig) -> None:
    """Serve a demo ERP until interrupted (blocks; this is what the CLI calls)."""
    demo_erp_server(host, port, config).run()
