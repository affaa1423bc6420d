"""How records leave the API: camelCase keys, money and quantities as exact decimal text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from erpsync.domain.drafts import Draft, Totals
from erpsync.domain.submissions import Submission, may_send


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _number(value: Decimal) -> str:
    """A percentage or rate without trailing zeros: ``22``, ``12.5``."""
    text = format(value.normalize(), "f")
    return text


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _at(value: datetime) -> str:
    return value.isoformat()


def _at_or_none(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def customer_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "vatNumber": row["vat_number"],
        "address": row["address"],
        "city": row["city"],
        "province": row["province"],
        "agentCode": row["agent_code"],
    }


def product_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "description": row["description"],
        "group": row["group"],
        "packageSize": row["package_size"],
        "minQty": row["min_qty"],
        "multipleQty": row["multiple_qty"],
        "vatRate": _number(Decimal(row["vat_rate"])),
    }


def price_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "listCode": row["list_code"],
        "unitPrice": _money(Decimal(row["unit_price"])),
        "validFrom": _day(row["valid_from"]),
        "validTo": _day(row["valid_to"]),
    }


def totals_json(totals: Totals) -> dict[str, Any]:
    return {
        "net": _money(totals.net),
        "vat": _money(totals.vat),
        "total": _money(totals.total),
        "byRate": [
            {"rate": _number(v.rate), "taxable": _money(v.taxable), "vat": _money(v.vat)}
            for v in totals.by_rate
        ],
    }


def submission_json(submission: Submission) -> dict[str, Any]:
    """A draft's way to the ERP: ``queued``, ``sending``, ``placed`` (with the ERP's number
    and its state now) or ``rejected`` (with the ERP's reasons)."""
    return {
        "id": submission.id,
        "state": submission.state.value,
        "queuedAt": _at(submission.created_at),
        "attempts": submission.attempts,
        "nextAttemptAt": _at_or_none(submission.next_attempt_at),
        "lastError": submission.last_error,
        "erpNumber": submission.erp_number,
        "erpState": submission.erp_state,
        "decidedAt": _at_or_none(submission.decided_at),
        "orderDate": submission.request.order_date.isoformat(),
        "reasons": [
            {"message": r.message, "code": r.code or None, "field": r.field, "line": r.line}
            for r in submission.reasons
        ],
    }


def draft_json(draft: Draft, submission: Submission | None = None) -> dict[str, Any]:
    """A draft, with its latest submission (``null`` if it was never sent)."""
    return {
        "id": draft.id,
        "customerCode": draft.customer_code,
        "customerName": draft.customer_name,
        "notes": draft.notes,
        "createdAt": _at(draft.created_at),
        "updatedAt": _at(draft.updated_at),
        "revision": draft.revision,
        "lines": [
            {
                "lineNo": n,
                "productCode": line.product_code,
                "description": line.description,
                "qty": line.qty,
                "unitPrice": _money(line.unit_price),
                "discount": _number(line.discount),
                "vatRate": _number(line.vat_rate),
                "net": _money(line.net),
            }
            for n, line in enumerate(draft.lines, start=1)
        ],
        "totals": totals_json(draft.totals),
        "submission": None if submission is None else submission_json(submission),
        "sendable": may_send(draft, submission),
    }
