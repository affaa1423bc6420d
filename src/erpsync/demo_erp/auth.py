"""Bearer-token check in front of every route but the open ones (the health probe)."""

from __future__ import annotations

import secrets

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from erpsync.demo_erp.responses import error_response


class BearerTokenMiddleware:
    def __init__(
        self, app: ASGIApp, token: str, open_paths: frozenset[str] = frozenset({"/health"})
    ) -> None:
        self.app = app
        self.token = token.encode()
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        scheme, _, credentials = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(
            credentials.strip().encode(), self.token
        ):
            await self.app(scope, receive, send)
            return
        response = error_response(
            401,
            "unauthorized",
            "a valid bearer token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": 'Bearer realm="demo-erp"'},
        )
        await response(scope, receive, send)
