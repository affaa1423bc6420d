"""The demo ERP's uvicorn server, embedded beside the app or on its own."""

from __future__ import annotations

import signal

from erpsync.demo_erp.config import DemoErpConfig
from erpsync.demo_erp.server import demo_erp_server


def test_embedded_it_leaves_ctrl_c_to_the_apps_server() -> None:
    """Taking Ctrl-C for itself, it would stop before the app's syncs and fail the one running."""
    before = signal.getsignal(signal.SIGINT)
    embedded = demo_erp_server("127.0.0.1", 0, DemoErpConfig(), embedded=True)
    with embedded.capture_signals():
        assert signal.getsignal(signal.SIGINT) is before
    alone = demo_erp_server("127.0.0.1", 0, DemoErpConfig())
    with alone.capture_signals():
        assert signal.getsignal(signal.SIGINT) == alone.handle_exit, "on its own, it stops on it"
    assert signal.getsignal(signal.SIGINT) is before
