"""The OpenAPI document says what the service really answers: every error status a route can
give, with the body errors have, and how a caller signs in.

Routes declare the errors particular to them with :func:`errors`; the ones every route of the
API can give (401 without a sign-in, 403 from another site, 413 for a body too large, 400 for
one that cannot be read, 422 with our error body) are added here to each operation.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

#: Operations anyone may call, without signing in.
PUBLIC_OPERATIONS = frozenset({"/healthz"})


class Problem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: what went wrong, in words, and for invalid input which fields."""

    error: str
    problems: list[Problem] | None = None


WHY = {
    400: "the body could not be read: not JSON, or not UTF-8",
    401: "nobody is signed in (a session cookie or `Authorization: Bearer` a token)",
    403: "not allowed: another site's request, another user's form, or an admin's task",
    404: "no such record, or one the signed-in user may not see",
    409: "clashes with what is there",
    413: "the body is larger than the limit",
    422: "invalid input: the error says which field and why",
    429: "too many attempts: try again later",
    503: "the ERP, or the orchestrator on another replica, did not answer in time",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for these error statuses."""
    return {code: {"model": ErrorBody, "description": WHY[code]} for code in codes}


def _error_response(code: int) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {"description": WHY[code], "content": {"application/json": {"schema": schema}}}


def _complete(operation: dict[str, Any], method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    codes = [401]
    if method != "get":
        codes += [403, 413]
    if "requestBody" in operation:
        codes.append(400)
    if "422" in responses or "requestBody" in operation or operation.get("parameters"):
        codes.append(422)
    for code in codes:
        if code == 422 or str(code) not in responses:
            responses[str(code)] = _error_response(code)
    operation["security"] = [{"bearer": []}, {"session": []}]


def install_openapi(app: FastAPI, *, session_cookie: str) -> None:
    """Serve the completed document at ``/openapi.json``."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name, body in (("ErrorBody", ErrorBody), ("Problem", Problem)):
            schemas[name] = body.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas[name].pop("$defs", None)
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "an API token"},
            "session": {"type": "apiKey", "in": "cookie", "name": session_cookie},
        }
        for path, operations in schema.get("paths", {}).items():
            if path in PUBLIC_OPERATIONS:
                continue
            for method, operation in operations.items():
                _complete(operation, method)
        app.openapi_schema = schema
        return schema

    app.openapi = document  # type: ignore[method-assign]
