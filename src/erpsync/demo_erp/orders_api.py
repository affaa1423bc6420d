"""The ERP write contract: ``POST /api/v1/orders`` places one order, exactly once per key.

Request: ``Authorization: Bearer <token>``, ``Idempotency-Key: <1-128 of [A-Za-z0-9._:-]>``
and a JSON object::

    {"client_reference": "<1-64 chars>", "customer_code": "C000012",
     "agent_code": "A01" | null, "date": "2026-12-01", "notes": "<at most 2000 chars>",
     "lines": [{"product_code": "P00001", "qty": "12", "unit_price": "4.50",
                "discount": "10"}, ...]}

* ``client_reference``, ``customer_code``, ``date`` and ``lines`` are required; no other field
  is allowed (in the order or in a line). Texts have no leading or trailing spaces; codes are
  1-32 characters. ``date`` is ``YYYY-MM-DD``.
* ``agent_code``: absent or null means the customer's agent; given, it must be an agent the
  ERP knows. ``notes``: absent means empty; they are checked, and count in the key's body,
  but the ERP serves no notes (its orders have no such field).
* ``lines``: 1 to 200 objects. ``qty``: a decimal string or a JSON integer; ``unit_price`` (at
  least 0) and ``discount`` (0 to 100 %, absent or null meaning 0): decimal strings only. A
  decimal string is an optional ``-``, up to 9 digits and optionally ``.`` and 1-4 digits; JSON
  numbers are refused for money, so no float rounding ever reaches a price.

Answers (JSON):

* **201** the order created, exactly as ``GET /api/v1/orders`` then serves it: ``number``
  (the ERP's progressive ``OV000123``: the next after the highest in use or ever issued, so
  never given twice), ``customer_code``, ``date``, ``state`` ``"inserito"``, ``total_net``,
  ``total_vat``, ``total``, ``agent_code``, ``client_reference``, ``lines`` (``line_no``
  1..n, ``product_code``, ``qty``, ``unit_price``, ``discount``) and ``updated_at``. A line's
  net is ``qty × unit_price × (100 − discount) / 100`` and its VAT ``net × vat_rate / 100``
  at the product's rate, each rounded half up to the cent; the totals are their sums.
* **200** with the same body, and ``Idempotent-Replayed: true``, for every later write with
  the same key and the same body (compared as parsed JSON, field order and spacing aside):
  the answer kept when the order was created, not the order as it is now. Forever.
* **422** ``{"error": "order_rejected", "detail": <sentence>, "reasons": [{"code", "field",
  "line", "message"}, ...]}``: every reason at once. ``code`` is ``invalid`` (malformed
  body), ``unknown_customer``, ``customer_blocked``, ``unknown_agent``, ``unknown_product``,
  ``below_minimum`` (quantity not positive or below ``min_qty``), ``not_multiple`` (of
  ``multiple_qty``), ``below_floor`` (net unit price ``unit_price × (100 − discount) / 100``
  under 60 % of the product's lowest price valid on the order date; no valid price, no floor)
  or ``refused`` (injected). ``field`` names the order's field, or the line's when ``line``
  (1-based) is set; both are null for the whole order. The order's reasons come first, then
  each line's; a line with a malformed field is checked no further. A rejection keeps
  nothing against the key: the same key and body are checked afresh next time and may then
  be accepted (say once the customer is unblocked), and the key may even come with another
  body.
* **409** ``{"error": "idempotency_key_reused", "detail": ...}``: the key created an order
  from another body. **409** ``session_overlap`` as for reads: the write needs the ERP's one
  working session, held while it is checked and committed.
* **400** ``missing_idempotency_key``, ``invalid_idempotency_key`` or ``invalid_json`` (these,
  like 503, 504 and 409 ``session_overlap``, come as ``{"error", "message"}``).
* **503** ``unavailable`` with ``Retry-After: 1`` (``fail_before_commit_next``: nothing
  created). **504** ``timeout`` (``lose_answer_next``: the order *was* created and its key
  kept, then the answer hangs ``timeout_seconds`` with the session released, so a retry
  meanwhile or later gets 200).

Checks come in this order: token, key header, JSON, session, key already kept (200 or 409),
body and rules (422), write faults (which only strike an order about to be created), commit.
Reads' faults (``error_rate``, ``timeout_rate``, ``fail_next``, ``slow_page_seconds``,
``malformed_rate``) never touch writes, nor write faults reads. A write waits the latency
profile's fixed cost per request while it holds the session.

Blocked customers are set through the admin API: ``PUT /admin/blocked-customers/{code}``
(404 for an unknown customer), ``DELETE /admin/blocked-customers/{code}`` and ``GET
/admin/blocked-customers`` (``{"blocked": [codes]}``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from erpsync.demo_erp.errors import ApiError, SessionBusyError
from erpsync.demo_erp.idempotency import HEADER, idempotency_key
from erpsync.demo_erp.order_desk import OrderAnswer, OrderOutcome
from erpsync.demo_erp.state import DemoErpState, erp_state

REPLAYED_HEADER = "Idempotent-Replayed"

logger = logging.getLogger(__name__)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None


def _overlap(erp: DemoErpState) -> ApiError:
    erp.stats.overlaps += 1
    logger.warning("action=demo_erp_overlap type=orders write=true")
    return ApiError(
        409,
        "session_overlap",
        "this order write overlaps another session still in flight; "
        "the ERP allows one working session at a time",
    )


def _order(answer: OrderAnswer, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(answer.order, status, headers, media_type="application/json")


def _rejected(answer: OrderAnswer) -> Response:
    count = len(answer.reasons)
    detail = f"the ERP refused the order for {count} reason{'s' if count > 1 else ''}"
    reasons = [reason.as_json() for reason in answer.reasons]
    return JSONResponse(
        {"error": "order_rejected", "detail": detail, "reasons": reasons}, status_code=422
    )


async def _answer(erp: DemoErpState, answer: OrderAnswer) -> Response:
    match answer.outcome:
        case OrderOutcome.CREATED:
            return _order(answer, 201)
        case OrderOutcome.REPLAYED:
            return _order(answer, 200, {REPLAYED_HEADER: "true"})
        case OrderOutcome.REJECTED | OrderOutcome.REFUSED:
            return _rejected(answer)
        case OrderOutcome.KEY_REUSED:
            detail = f"this {HEADER} was used before with another order; use a new key"
            body = {"error": "idempotency_key_reused", "detail": detail}
            return JSONResponse(body, status_code=409)
        case OrderOutcome.UNAVAILABLE:
            message = "the ERP is temporarily unavailable; the order was not created"
            raise ApiError(503, "unavailable", message, {"Retry-After": "1"})
        case OrderOutcome.ANSWER_LOST:
            await erp.sleep(erp.faults.settings.timeout_seconds)
            raise ApiError(504, "timeout", "the ERP did not answer in time")


async def create_order(request: Request) -> Response:
    erp = erp_state(request)
    key = idempotency_key(request.headers.get(HEADER))
    body = await _json_body(request)
    erp.stats.writes += 1
    try:
        async with erp.session.hold():
            if erp.latency.base_seconds > 0:
                await erp.sleep(erp.latency.base_seconds)
            answer = erp.orders.take(key, body)
    except SessionBusyError:
        raise _overlap(erp) from None
    erp.stats.order_answered(answer.outcome)
    logger.info("action=demo_erp_order_write outcome=%s key=%s", answer.outcome.value, key)
    return await _answer(erp, answer)
