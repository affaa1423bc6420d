"""The routers' order decides only how fast a path is matched, never which route answers.

Path parameters here are plain segments (no ``:int`` or ``:path`` converters), which is what
the sample path assumes; the health probe, the static mount and the API docs come before the
routers and are not part of their order."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match, Route

from erpsync.web.app import ROUTERS


def _sample(path: str) -> str:
    """A concrete path for a path format: each parameter a plain value."""
    return re.sub(r"\{[^}]+\}", "x1", path)


def _routes(routers: Sequence[APIRouter] = ROUTERS) -> list[Route]:
    found: list[BaseRoute] = [route for router in routers for route in router.routes]
    assert all(isinstance(route, Route) for route in found)
    return [route for route in found if isinstance(route, Route)]


def _scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": ""}


Clash = tuple[str, str, str]


def takers(route: Route, before: Sequence[Route]) -> list[Clash]:
    """(method, path, taker) for each route of ``before`` that would take ``route``'s path."""
    path = _sample(route.path)
    return [
        (method, route.path, earlier.path)
        for method in sorted(route.methods or ())
        for earlier in before
        if earlier.matches(_scope(path, method))[0] is Match.FULL
    ]


def shadowed(routes: Sequence[Route]) -> list[Clash]:
    """Each route whose own path an earlier route would take, for one of its methods."""
    return [clash for n, route in enumerate(routes) for clash in takers(route, routes[:n])]


def test_no_route_takes_a_path_meant_for_a_later_one() -> None:
    assert shadowed(_routes()) == []


def test_no_two_routers_share_a_path_so_their_order_is_free() -> None:
    """Within a router the order is its module's (a literal path before a pattern that would
    take it); across routers no route may take another's path, whichever comes first."""
    shared = [
        clash
        for first in ROUTERS
        for second in ROUTERS
        if first is not second
        for route in _routes([second])
        for clash in takers(route, _routes([first]))
    ]
    assert shared == []


def test_the_check_sees_a_shadowed_route() -> None:
    async def endpoint() -> None:
        raise AssertionError("never called")

    pattern = Route("/api/sync/{type}", endpoint, methods=["POST"])
    literal = Route("/api/sync/status", endpoint, methods=["GET", "POST"])
    assert shadowed([literal, pattern]) == []
    assert shadowed([pattern, literal]) == [("POST", "/api/sync/status", "/api/sync/{type}")]


def test_every_router_is_included_once() -> None:
    assert len({id(router) for router in ROUTERS}) == len(ROUTERS)
    assert len(_routes()) > 40
