"""FastAPI's own OpenTelemetry instrumentation is off: nothing of it runs on a request."""

from __future__ import annotations

import contextlib

import anyio
import pytest
from opentelemetry import metrics, trace

from erpsync.settings import Settings
from erpsync.web.app import create_app


def test_a_request_never_asks_opentelemetry_for_its_providers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    for module, name in ((trace, "get_tracer_provider"), (metrics, "get_meter_provider")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda real=real, name=name: asked.append(name) or real())
    app = create_app(Settings())
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/healthz",
        "headers": [],
        "query_string": b"",
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: object) -> None:
        return None

    async def request() -> None:
        with contextlib.suppress(Exception):  # no lifespan ran: what answers does not matter
            await app(scope, receive, send)

    anyio.run(request)
    assert asked == []
