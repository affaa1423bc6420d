"""Admin routes: faults, counters, blocked customers, and creating or changing records now."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from erpsync.demo_erp.config import COUNTDOWNS, FaultSettings
from erpsync.demo_erp.errors import ApiError
from erpsync.demo_erp.responses import json_object, parse_type
from erpsync.demo_erp.state import erp_state
from erpsync.errors import ConfigurationError

logger = logging.getLogger(__name__)

MAX_TOUCH = 10_000
_FAULT_FIELDS = {f.name for f in fields(FaultSettings)}


def fault_settings(base: FaultSettings, body: Mapping[str, Any]) -> FaultSettings:
    """``base`` with the fields of ``body`` applied.

    Raises:
        ApiError: an unknown field, or a value out of range (422).
    """
    unknown = sorted(set(body) - _FAULT_FIELDS)
    if unknown:
        raise ApiError(422, "invalid_faults", f"unknown fault setting(s): {', '.join(unknown)}")
    for name, value in body.items():
        wanted = int if name in COUNTDOWNS else int | float
        if isinstance(value, bool) or not isinstance(value, wanted):
            kind = "an integer" if name in COUNTDOWNS else "a number"
            raise ApiError(422, "invalid_faults", f"{name}: expected {kind}, got {value!r}")
    try:
        return replace(base, **body)
    except ConfigurationError as error:
        raise ApiError(422, "invalid_faults", str(error)) from None


async def read_faults(request: Request) -> Response:
    return JSONResponse(asdict(erp_state(request).faults.settings))


async def write_faults(request: Request) -> Response:
    """``PUT`` replaces every setting (absent ones fall back to none); ``PATCH`` merges."""
    erp = erp_state(request)
    body = await json_object(request)
    base = erp.faults.settings if request.method == "PATCH" else FaultSettings()
    settings = fault_settings(base, body)
    erp.faults.configure(settings)
    logger.info(
        "action=demo_erp_faults_set %s", " ".join(f"{k}={v}" for k, v in asdict(settings).items())
    )
    return JSONResponse(asdict(settings))


async def read_stats(request: Request) -> Response:
    erp = erp_state(request)
    return JSONResponse(erp.stats.as_json(in_flight=erp.session.busy))


async def reset_stats(request: Request) -> Response:
    erp = erp_state(request)
    erp.stats.reset()
    return JSONResponse(erp.stats.as_json(in_flight=erp.session.busy))


async def read_blocked_customers(request: Request) -> Response:
    return JSONResponse({"blocked": erp_state(request).orders.blocked})


async def block_customer(request: Request) -> Response:
    """From now on the ERP refuses orders for this customer (404 for an unknown one)."""
    code = request.path_params["code"]
    erp_state(request).orders.block(code)
    logger.info("action=demo_erp_customer_blocked code=%s", code)
    return JSONResponse({"customer_code": code, "blocked": True})


async def unblock_customer(request: Request) -> Response:
    """The ERP takes this customer's orders again; unblocking one not blocked is no error."""
    code = request.path_params["code"]
    erp_state(request).orders.unblock(code)
    logger.info("action=demo_erp_customer_unblocked code=%s", code)
    return JSONResponse({"customer_code": code, "blocked": False})


def _touch_query(params: Mapping[str, str]) -> tuple[int, bool]:
    text = params.get("count", "1")
    try:
        count = int(text)
    except ValueError:
        raise ApiError(422, "invalid_count", f"count: {text!r} is not an integer") from None
    if not 1 <= count <= MAX_TOUCH:
        raise ApiError(422, "invalid_count", f"count: must be between 1 and {MAX_TOUCH}")
    edit = params.get("edit", "true").lower()
    if edit not in ("true", "false"):
        raise ApiError(422, "invalid_edit", "edit: must be true or false")
    return count, edit == "true"


async def touch_records(request: Request) -> Response:
    """Change ``count`` random records now (``edit=false``: only bump ``updated_at``)."""
    erp = erp_state(request)
    type = parse_type(request)
    count, edit = _touch_query(request.query_params)
    touched = erp.dataset.touch(type, count, erp.edits_rng, edit=edit)
    logger.info("action=demo_erp_touched type=%s count=%d", type, len(touched))
    return JSONResponse({"type": type.value, "touched": touched})


async def create_record(request: Request) -> Response:
    erp = erp_state(request)
    type = parse_type(request)
    record = erp.dataset.create(type, await json_object(request))
    logger.info(
        "action=demo_erp_created type=%s key=%s", type, record[erp.dataset.table(type).spec.key]
    )
    return JSONResponse(record, status_code=201)


async def read_record(request: Request) -> Response:
    erp = erp_state(request)
    return JSONResponse(erp.dataset.get(parse_type(request), request.path_params["key"]))


async def update_record(request: Request) -> Response:
    erp = erp_state(request)
    type, key = parse_type(request), request.path_params["key"]
    changes = await json_object(request)
    record = erp.dataset.update(type, key, changes)
    logger.info("action=demo_erp_updated type=%s key=%s", type, key)
    return JSONResponse(record)


async def delete_record(request: Request) -> Response:
    erp = erp_state(request)
    type, key = parse_type(request), request.path_params["key"]
    erp.dataset.delete(type, key)
    logger.info("action=demo_erp_deleted type=%s key=%s", type, key)
    return JSONResponse({"type": type.value, "deleted": key})
