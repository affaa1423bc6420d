"""The ERP write contract over HTTP: ``POST /api/v1/orders`` with an ``Idempotency-Key``.

``201`` (the order, first time) and ``200`` (the same order, for a repeat of the key with the
same body) are placed orders; ``422`` is the ERP's refusal with its reasons, final; ``409``
``idempotency_key_reused`` means the key holds another body. Everything else — a timeout, a
dropped connection, ``409`` while another session works, ``5xx`` — is no answer to go by,
reported unavailable: the sender tries again later with the same key, which makes that safe.

One call an attempt, never retried here: an attempt holds the ERP's one session, and a
Smart Customer Sync waiting behind it should wait for one call, not for a string of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from erpsync.adapters.erp_http import ErpClient, describe, error_text
from erpsync.domain.submissions import PlacedOrder, Reason, Refusal
from erpsync.errors import ErpProtocolError, ErpUnavailableError, IdempotencyConflictError

KEY_REUSED = "idempotency_key_reused"


def _key_reused(response: httpx.Response) -> bool:
    return response.status_code == 409 and _code(response) == KEY_REUSED


def _code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, Mapping) else ""


class HttpErpWriter(ErpClient):
    """:class:`~erpsync.ports.ErpWriter` speaking the write contract with a bearer token."""

    async def place_order(self, content: str, key: str) -> PlacedOrder | Refusal:
        headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
        try:
            response = await self._client.post(
                "/api/v1/orders", content=content.encode(), headers=headers
            )
            if response.status_code == 422:
                return refusal(response)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            if _key_reused(exc.response):
                raise IdempotencyConflictError(error_text(exc.response)) from exc
            raise ErpUnavailableError(describe(exc)) from exc
        except httpx.HTTPError as exc:
            raise ErpUnavailableError(f"ERP unreachable: {describe(exc)}") from exc
        return placed(response)


def placed(response: httpx.Response) -> PlacedOrder:
    """Raises ``ErpProtocolError`` for an answer without the order's number and state."""
    try:
        body: Any = response.json()
    except ValueError as exc:
        raise ErpProtocolError("the ERP's answer to an order is not JSON") from exc
    number = body.get("number") if isinstance(body, Mapping) else None
    state = body.get("state") if isinstance(body, Mapping) else None
    if not isinstance(number, str) or not number or not isinstance(state, str):
        raise ErpProtocolError(f"the ERP's answer to an order has no number and state: {body!r}")
    replayed = response.status_code == 200 or response.headers.get("idempotent-replayed") == "true"
    return PlacedOrder(number, state, replayed)


def refusal(response: httpx.Response) -> Refusal:
    """The ERP's reasons, as many as it gave; a refusal it did not explain still counts."""
    try:
        body: Any = response.json()
    except ValueError:
        return Refusal(f"the ERP refused the order: {response.text[:200]}")
    if not isinstance(body, Mapping):
        return Refusal(f"the ERP refused the order: {str(body)[:200]}")
    reasons = []
    for item in body.get("reasons") or []:
        if isinstance(item, Mapping) and item.get("message"):
            line = item.get("line")
            reasons.append(
                Reason(
                    str(item["message"])[:500],
                    str(item.get("code") or "")[:64],
                    None if item.get("field") is None else str(item["field"])[:64],
                    line if isinstance(line, int) else None,
                )
            )
    detail = body.get("detail") or body.get("message") or "the ERP refused the order"
    return Refusal(str(detail)[:500], tuple(reasons))
