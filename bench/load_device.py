"""A simulated agent's device, as the order form keeps it (``static/device_slice.js``): the
agent's slice of the mirror with a cursor per kind, each answer's ETag (the browser's HTTP
cache sends it back as ``If-None-Match``), and the search on the slice.

The form searches on the device whenever it holds a slice, and takes prices from it once the
slice has caught up with the mirror in this visit (after the Smart Customer Sync); before that,
or when the device finds nothing, it asks the server. The matching here is the server's rule
(every word in the record's search text); the order and the page's exact ranking do not matter
to the load, only which requests reach the server.

On a phone that search costs the phone. Here 200 devices share the generator's one event loop,
so their work is shared: devices at the same cursor hold the same rows (the cursor names the
mirror's state, the scope and the price list; a page committed while one of them read may be
held by some only), and a search or a price asked at one cursor is worked out once for all.
Otherwise the generator's own lag would be measured as the server's latency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from erpsync.domain.catalog import SPECS
from erpsync.domain.search import search_terms, search_text
from erpsync.domain.types import SyncType

KINDS = ("customers", "products", "prices")
#: As many results as the server's search gives by default.
RESULTS = 20
#: Devices fetching their first slice at once, before the load.
WARM_UP_CONCURRENCY = 8
#: Cursors whose search texts, answers and price indexes are kept (older ones are dropped).
SHARED_CURSORS = 64


class _Shared:
    """What devices at one cursor of one kind have in common, worked out once."""

    def __init__(self) -> None:
        self.texts: dict[str, str] | None = None
        self.answers: dict[str, list[dict[str, Any]]] = {}
        self.by_product: dict[str, list[dict[str, Any]]] | None = None


_SHARED: dict[tuple[str, str], _Shared] = {}


def _shared(kind: str, cursor: str) -> _Shared:
    key = (kind, cursor)
    if key not in _SHARED:
        if len(_SHARED) >= SHARED_CURSORS:
            _SHARED.pop(next(iter(_SHARED)))
        _SHARED[key] = _Shared()
    return _SHARED[key]


Call = Callable[..., Awaitable[dict[str, Any] | None]]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def slice_route(kind: str) -> Callable[[dict[str, Any]], str]:
    """A slice answer's route, told apart: unchanged (304), what changed, or the whole slice."""

    def route(answer: dict[str, Any]) -> str:
        told = "unchanged, 304" if not answer else "whole" if answer.get("full") else "changes"
        return f"GET /api/offline/{kind} ({told})"

    return route


@dataclass
class DeviceSlice:
    """One agent's device: its slice, cursors and ETags, kept across the form's visits."""

    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    price_list: str | None = None
    cursors: dict[str, str] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)

    async def refresh(self, call: Call, client: httpx.AsyncClient) -> bool:
        """Every kind brought up to date, as ``DeviceSlice.refresh`` does; ``False`` when
        a request failed (the device keeps what it had)."""
        for kind in KINDS:
            cursor = self.cursors.get(kind)
            url = f"/api/offline/{kind}" + (f"?since={cursor}" if cursor else "")
            etag = self.etags.get(url)
            headers = {"If-None-Match": etag} if etag else {}
            seen: dict[str, str] = {}

            async def send(
                url: str = url, headers: dict[str, str] = headers, seen: dict[str, str] = seen
            ) -> httpx.Response:
                response = await client.get(url, headers=headers)
                if "etag" in response.headers:
                    seen["etag"] = response.headers["etag"]
                return response

            answer = await call(f"GET /api/offline/{kind}", send, refine=slice_route(kind))
            if answer is None:
                return False
            if not answer:  # 304: the browser's cached answer, already applied
                continue
            if "etag" in seen:
                self.etags[url] = seen["etag"]
            self.apply(kind, answer)
        return True

    def apply(self, kind: str, answer: dict[str, Any]) -> None:
        names = [_camel(name) for name in answer["fields"]]
        held: dict[str, dict[str, Any]] = getattr(self, kind)
        if answer["full"]:
            held.clear()
        for key in answer.get("deleted") or []:
            held.pop(str(key), None)
        for row in answer["rows"]:
            record = dict(zip(names, row, strict=True))
            held[str(row[0])] = record
        self.cursors[kind] = answer["cursor"]
        self.price_list = answer.get("priceList") or self.price_list

    def search(self, kind: str, query: str) -> list[dict[str, Any]]:
        """Records of ``kind`` holding every word of ``query`` (all of them for none)."""
        held: dict[str, dict[str, Any]] = getattr(self, kind)
        shared = _shared(kind, self.cursors.get(kind, ""))
        if query in shared.answers:
            return shared.answers[query]
        if shared.texts is None:
            spec = SPECS[SyncType(kind)]
            shared.texts = {
                key: search_text(spec, {_snake(k): v for k, v in record.items()})
                for key, record in held.items()
            }
        terms = search_terms(query)
        found = []
        for key, text in shared.texts.items():
            # A page committed while a device read its answer may be on one device at a
            # cursor and not on another: a key this device lacks is skipped.
            if all(term in text for term in terms) and (record := held.get(key)) is not None:
                found.append(record)
                if len(found) == RESULTS:
                    break
        shared.answers[query] = found
        return found

    @property
    def holds_slice(self) -> bool:
        """Every kind downloaded once (on an earlier visit)."""
        return all(kind in self.cursors for kind in KINDS)

    def holds(self, product_code: str) -> bool:
        return product_code in self.products

    def proposed_price(self, product_code: str, today: date) -> str | None:
        """The price-list row in force today for the form's price list, as the page proposes."""
        shared = _shared("prices", self.cursors.get("prices", ""))
        if shared.by_product is None:
            shared.by_product = {}
            for price in self.prices.values():
                shared.by_product.setdefault(price["productCode"], []).append(price)
        day = today.isoformat()
        for price in shared.by_product.get(product_code, []):
            if (
                price["listCode"] == self.price_list
                and (price["validFrom"] or "") <= day
                and (price["validTo"] is None or day <= price["validTo"])
            ):
                return str(price["unitPrice"])
        return None


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)


async def warm_devices(
    names: list[str], call: Call, clients: dict[str, httpx.AsyncClient]
) -> dict[str, DeviceSlice]:
    """Each agent's device with its slice downloaded, as after yesterday's visit."""
    devices = {name: DeviceSlice() for name in names}
    gate = asyncio.Semaphore(WARM_UP_CONCURRENCY)

    async def warm(name: str) -> None:
        async with gate:
            if not await devices[name].refresh(call, clients[name]):
                raise RuntimeError(f"the device of {name} could not download its slice")

    await asyncio.gather(*(warm(name) for name in names))
    return devices
