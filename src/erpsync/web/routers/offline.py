"""``/api/offline/{customers,products,prices}``: the device's slice of the mirror, whole or as
the changes since the cursor of a previous answer; cacheable (ETag, 304) and gzip-encoded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from erpsync.domain.offline import SliceKind
from erpsync.web.cacheable import cacheable_response
from erpsync.web.deps import CurrentUser, OfflineDep
from erpsync.web.offline_json import MAX_CURSOR, SliceEncodings, parse_since
from erpsync.web.openapi import errors

router = APIRouter(prefix="/api/offline", tags=["offline"])

Since = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the `cursor` of a previous answer: only what changed since then comes; "
        "one of another slice version, scope or price list gets the whole slice "
        "(`full: true`)",
    ),
]


class SliceBody(BaseModel):
    """A slice answer: with ``full`` the device replaces what it holds of the kind with
    ``rows``; otherwise it upserts ``rows`` by key (the first field) and drops ``deleted``."""

    kind: SliceKind
    full: bool
    cursor: str = Field(description="to send as `since` next time")
    priceList: str = Field(description="the price list the order form proposes")
    fields: list[str]
    rows: list[list[str | int | None]] = Field(description="values of `fields`, by key")
    deleted: list[str] = Field(description="keys that left the slice since `since`")
    generatedAt: str = Field(
        description="when the service read it (not part of the ETag); devices asking the same "
        "while nothing changed share the one read"
    )


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": SliceBody,
        "description": "the slice, gzip-encoded when accepted, with a strong `ETag`",
    },
    304: {"description": "`If-None-Match` names the answer's ETag: the device holds it"},
    **errors(422),
}


#: The bytes of the answers served lately: one answer is served to many devices.
_ENCODINGS = SliceEncodings()


def _slice(
    kind: SliceKind, request: Request, user: CurrentUser, offline: OfflineDep, since: str | None
) -> Response:
    answer = offline.answer(user, kind, parse_since(since))
    return cacheable_response(request, _ENCODINGS.of(answer), "application/json")


@router.get("/customers", responses=_RESPONSES, response_model=None)
def customers(
    request: Request, user: CurrentUser, offline: OfflineDep, since: Since = None
) -> Response:
    """The signed-in agent's customers (an admin's: all): what the order form shows and
    searches. A delta also names, in ``deleted``, customers deleted or moved to another agent."""
    return _slice(SliceKind.CUSTOMERS, request, user, offline, since)


@router.get("/products", responses=_RESPONSES, response_model=None)
def products(
    request: Request, user: CurrentUser, offline: OfflineDep, since: Since = None
) -> Response:
    """The catalogue, the same for everyone."""
    return _slice(SliceKind.PRODUCTS, request, user, offline, since)


@router.get("/prices", responses=_RESPONSES, response_model=None)
def prices(
    request: Request, user: CurrentUser, offline: OfflineDep, since: Since = None
) -> Response:
    """Every price-list row not expired today (any ``valid_from``), the same for everyone: the
    device proposes, on the day it searches, the row valid that day on ``priceList``, else
    the first valid one by list code, as the server does."""
    return _slice(SliceKind.PRICES, request, user, offline, since)
