"""Every error leaves as JSON with the status code of its category."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from erpsync.errors import (
    ConfigurationError,
    DraftConflictError,
    ErpSyncError,
    ErpUnavailableError,
    ForbiddenError,
    InvalidScheduleError,
    OrchestratorUnavailableError,
    RecordNotFoundError,
)
from erpsync.web.errors import install_error_handlers


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OrchestratorUnavailableError("the orchestrator did not answer within 30 s"), 503),
        (ErpUnavailableError("ERP answered 503"), 503),
        (RecordNotFoundError("draft", "d-1"), 404),
        (DraftConflictError("d-1"), 409),
        (InvalidScheduleError("ddt: interval too short"), 422),
        (ForbiddenError("only the agent who opened it"), 403),
        (ConfigurationError("no such setting"), 500),
    ],
)
async def test_an_error_is_answered_with_its_category_status_and_message(
    error: ErpSyncError, status: int
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fails")
    async def fails() -> None:
        raise error

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://erpsync"
    ) as client:
        answer = await client.get("/fails")
    assert answer.status_code == status
    assert answer.json() == {"error": str(error)}
