"""JSON answers and errors: every error is ``{"error": <code>, "message": <text>}``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from erpsync.demo_erp.errors import ApiError, RecordExistsError
from erpsync.domain.types import SyncType
from erpsync.errors import RecordNotFoundError, UnknownSyncTypeError

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


async def record_error_handler(request: Request, exc: Exception) -> Response:
    """Errors of the dataset: unknown key (404), taken key (409), invalid fields (422)."""
    if isinstance(exc, RecordNotFoundError):
        return error_response(404, "record_not_found", str(exc))
    if isinstance(exc, RecordExistsError):
        return error_response(409, "record_exists", str(exc))
    return error_response(422, "invalid_record", str(exc))


async def server_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "the demo ERP failed to answer this request")


def parse_type(request: Request) -> SyncType:
    """The sync type named in the path; an unknown one is a 404."""
    try:
        return SyncType.parse(request.path_params["type"])
    except UnknownSyncTypeError as error:
        raise ApiError(404, "unknown_type", str(error)) from None


async def json_object(request: Request) -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "the request body must be a JSON object")
    return body
