"""Every error leaves as JSON with a clear message and the right status, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from erpsync.errors import ErpSyncError, ErrorCategory

log = logging.getLogger(__name__)


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field'] or 'body'}: {p['message']}" for p in problems)
    return _error(422, f"invalid request: {summary}", problems=problems)


#: The one place where an error's category becomes a status code.
STATUS_OF = {
    ErrorCategory.NOT_FOUND: 404,
    ErrorCategory.CONFLICT: 409,
    ErrorCategory.INVALID_INPUT: 422,
    ErrorCategory.UNAVAILABLE: 503,
    ErrorCategory.FORBIDDEN: 403,
    ErrorCategory.INTERNAL: 500,
}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ErpSyncError)
    status = STATUS_OF[exc.category]
    if status == 500:
        log.error("action=request_failed path=%s error=%r", request.url.path, str(exc))
    return _error(status, str(exc))


async def _client_gone(request: Request, exc: Exception) -> JSONResponse:
    """The client left before sending its whole request (a tab torn down mid-beacon)."""
    log.info("action=client_disconnected path=%s", request.url.path)
    return _error(400, "the client disconnected before the request was complete")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("action=request_failed path=%s", request.url.path)
    return _error(500, "internal error; the details are in the service log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ErpSyncError, _domain_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
