"""A self-contained ASGI app that plays the ERP: deterministic Italian business data, a
latency model, fault injection and one working session at a time, over the source contract."""

from erpsync.demo_erp.app import create_demo_erp_app
from erpsync.demo_erp.config import DemoErpConfig, FaultSettings, LatencyProfile, Volumes
from erpsync.demo_erp.server import demo_erp_server, run_demo_erp

__all__ = [
    "DemoErpConfig",
    "FaultSettings",
    "LatencyProfile",
    "Volumes",
    "create_demo_erp_app",
    "demo_erp_server",
    "run_demo_erp",
]
