"""``create_app(settings)``: the FastAPI application, built through the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from erpsync import __version__
from erpsync.bootstrap import build_services
from erpsync.ports import Clock, ErpSource
from erpsync.settings import Settings
from erpsync.web.errors import install_error_handlers
from erpsync.web.routers import forms, sync


def create_app(
    settings: Settings, *, clock: Clock | None = None, source: ErpSource | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app.state.services = await build_services(settings, stack, clock=clock, source=source)
            yield

    app = FastAPI(title="erpsync", version=__version__, lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/healthz", tags=["probe"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(sync.router)
    app.include_router(forms.router)
    return app
