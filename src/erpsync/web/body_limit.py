"""Refuses request bodies larger than a limit with 413, before anything reads them whole."""

from __future__ import annotations

import contextlib

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 1024 * 1024


class BodyTooLargeError(Exception):
    """The body went past the limit while it was being received."""


class BodyLimit:
    """A body announced (``Content-Length``) or sent (chunked) larger than ``max_bytes`` is
    answered 413 JSON; the app never sees it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self) -> JSONResponse:
        return JSONResponse(
            {"error": f"the request body is larger than {self.max_bytes} bytes"},
            status_code=413,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refusal()(scope, receive, send)
            return
        received = 0
        started = refused = False

        async def limited() -> Message:
            # The 413 goes out the moment the limit is crossed: the app may catch the error
            # while it parses the body (FastAPI answers 400 then), so it cannot be left to
            # reach this middleware.
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if not started and not refused:
                        refused = True
                        await self._refusal()(scope, receive, send)
                    raise BodyTooLargeError
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if refused:
                return  # whatever the app answers after the refusal is not sent
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(BodyTooLargeError):
            await self.app(scope, limited, tracking)
