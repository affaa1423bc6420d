"""The demo ERP as an ASGI app: ``create_demo_erp_app(config)`` builds one, state and all."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erpsync.demo_erp import admin_api, orders_api, source_api
from erpsync.demo_erp.auth import BearerTokenMiddleware
from erpsync.demo_erp.config import DemoErpConfig
from erpsync.demo_erp.data import generate_dataset
from erpsync.demo_erp.errors import ApiError, InvalidFieldsError, RecordExistsError
from erpsync.demo_erp.faults import FaultInjector
from erpsync.demo_erp.latency import latency_model
from erpsync.demo_erp.order_desk import OrderDesk
from erpsync.demo_erp.responses import (
    api_error_handler,
    http_error_handler,
    record_error_handler,
    server_error_handler,
)
from erpsync.demo_erp.session import ErpSession
from erpsync.demo_erp.state import DemoErpState
from erpsync.demo_erp.stats import ErpStats
from erpsync.demo_erp.store import Dataset
from erpsync.demo_erp.ticker import ticker_running
from erpsync.errors import RecordNotFoundError


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _routes() -> list[Route]:
    # Fixed paths come before the "{type}" patterns they would otherwise match.
    return [
        Route("/health", health, methods=["GET"]),
        Route("/api/v1/orders", orders_api.create_order, methods=["POST"]),
        Route("/api/v1/{type}", source_api.list_records, methods=["GET"]),
        Route("/admin/faults", admin_api.read_faults, methods=["GET"]),
        Route("/admin/faults", admin_api.write_faults, methods=["PUT", "PATCH"]),
        Route("/admin/stats", admin_api.read_stats, methods=["GET"]),
        Route("/admin/stats", admin_api.reset_stats, methods=["DELETE"]),
        Route("/admin/blocked-customers", admin_api.read_blocked_customers, methods=["GET"]),
        Route("/admin/blocked-customers/{code}", admin_api.block_customer, methods=["PUT"]),
        Route("/admin/blocked-customers/{code}", admin_api.unblock_customer, methods=["DELETE"]),
        Route("/admin/touch/{type}", admin_api.touch_records, methods=["POST"]),
        Route("/admin/{type}", admin_api.create_record, methods=["POST"]),
        Route("/admin/{type}/{key}", admin_api.read_record, methods=["GET"]),
        Route("/admin/{type}/{key}", admin_api.update_record, methods=["PATCH"]),
        Route("/admin/{type}/{key}", admin_api.delete_record, methods=["DELETE"]),
    ]


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    erp = app.state.erp
    assert isinstance(erp, DemoErpState)
    async with ticker_running(
        erp.dataset, erp.edits_rng, erp.config.ticker_interval_seconds, erp.sleep
    ):
        yield


def create_demo_erp_app(
    config: DemoErpConfig,
    *,
    clock_sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """Build a demo ERP holding the dataset of ``config.seed``, generated now.

    Args:
        config: data volumes, latency profile, token, faults and ticker.
        clock_sleep: how the ERP waits (latency, slow pages, timeouts, the ticker);
            ``asyncio.sleep`` by default. Tests pass a fake that records or blocks.
        clock: the ERP's "now" (timezone-aware); the data lies in its past and every change
            is stamped with it. ``datetime.now(UTC)`` by default.
    """
    now = clock or _utc_now
    dataset = Dataset.load(generate_dataset(config, now()), now)
    faults = FaultInjector(config.faults, config.seed)
    state = DemoErpState(
        config=config,
        dataset=dataset,
        faults=faults,
        latency=latency_model(config.latency),
        session=ErpSession(),
        stats=ErpStats(),
        orders=OrderDesk(dataset, faults, config.agent_codes),
        edits_rng=random.Random(f"{config.seed}:edits"),
        sleep=clock_sleep or asyncio.sleep,
    )
    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(BearerTokenMiddleware, token=config.token)],
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            RecordNotFoundError: record_error_handler,
            RecordExistsError: record_error_handler,
            InvalidFieldsError: record_error_handler,
            Exception: server_error_handler,
        },
        lifespan=_lifespan,
    )
    app.state.erp = state
    return app
