"""``create_app(settings)``: the FastAPI application, built through the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from starlette.middleware.sessions import SessionMiddleware

from erpsync import __version__
from erpsync.auth.secret import session_secret
from erpsync.bootstrap import build_services
from erpsync.ports import Clock, ErpSource
from erpsync.settings import Settings
from erpsync.web.auth_gate import AuthGate, is_public
from erpsync.web.body_limit import BodyLimit
from erpsync.web.errors import install_error_handlers
from erpsync.web.openapi import install_openapi
from erpsync.web.origin_check import OriginCheck
from erpsync.web.pages import Pages
from erpsync.web.routers import (
    app_shell,
    auth,
    book,
    book_pages,
    drafts,
    forms,
    metrics,
    offline,
    order_data,
    pages,
    sync,
)
from erpsync.web.translations import Catalogues

#: The routers in the order a request's path is matched against them: the ones every open form
#: calls all the time (heartbeats, searches, drafts, the slice) first, since each router passed
#: costs every request a scan of its routes. No route of an earlier router matches a path of a
#: later one (tests/unit/web/test_routes.py), so the order changes nothing else.
ROUTERS = (
    forms.router,
    order_data.router,
    drafts.router,
    offline.router,
    sync.router,
    auth.router,
    pages.router,
    app_shell.router,
    book.router,
    book_pages.router,
    metrics.router,
)

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "erpsync_session"


def limit_route_threads(threads: int) -> None:
    """The ``def`` routes (their database work) run on at most ``threads`` threads at once,
    instead of anyio's forty: a few do the same work for less, as every thread more is one
    more to hand the GIL to between queries. The orchestrator's own blocking work keeps
    asyncio's pool, so a burst of requests never holds up a sync's pages or the role's lease."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


#: FastAPI's own OpenTelemetry spans, metrics and logs, off: erpsync reports through
#: ``/metrics`` and its log lines, and with them on every request asks OpenTelemetry for its
#: providers first, whether or not any is configured.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(
    settings: Settings, *, clock: Clock | None = None, source: ErpSource | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_route_threads(settings.worker_threads)
        async with AsyncExitStack() as stack:
            app.state.services = await build_services(settings, stack, clock=clock, source=source)
            yield

    app = FastAPI(title="erpsync", version=__version__, lifespan=lifespan, telemetry=NO_TELEMETRY)
    install_error_handlers(app)
    app.state.pages = Pages(Catalogues())

    # Listed innermost first: a request meets the body limit, the Origin check, then the
    # session, then the gate.
    app.add_middleware(AuthGate)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(
        OriginCheck,
        session_cookie=SESSION_COOKIE,
        trusted_origins=settings.trusted_origins,
        public=is_public,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.get("/healthz", tags=["probe"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app, session_cookie=SESSION_COOKIE)
    return app
