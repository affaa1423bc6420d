"""The routers' order decides only how fast a path is matched, never which route answers.

Path parameters here are plain segments (no ``:int`` or ``:path`` converters), which is what
the sample path assumes; the health probe, the static mount and the API docs come before the
routers and are not part of their order."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import BaseRoute, Match, Route

from erpsync.web.app import ROUTERS


def _sample(path: str) -> str:
    """A concrete path for a path format: each parameter a plain value."""
    return re.sub(r"\{[^}]+\}", "x1", path)


def _routes() -> list[Route]:
    found: list[BaseRoute] = [route for router in ROUTERS for route in router.routes]
    assert all(isinstance(route, Route) for route in found)
    return [route for route in found if isinstance(route, Route)]


def _scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": ""}


def shadowed(routes: list[Route]) -> list[str]:
    """Each route whose own path an earlier route would take, for one of its methods."""
    found = []
    for n, route in enumerate(routes):
        path = _sample(route.path)
        for method in sorted(route.methods or ()):
            for earlier in routes[:n]:
                match, _ = earlier.matches(_scope(path, method))
                if match is Match.FULL:
                    found.append(f"{method} {route.path} is taken by {earlier.path}")
    return found


def test_no_route_takes_a_path_meant_for_a_later_one() -> None:
    assert shadowed(_routes()) == []


def test_no_two_routers_share_a_path_so_their_order_is_free() -> None:
    """Within a router the order is its module's (a literal path before a pattern that would
    take it); across routers no route may take another's path in either order."""
    shared = [
        clash
        for n, first in enumerate(ROUTERS)
        for second in ROUTERS[n + 1 :]
        for pair in ((first, second), (second, first))
        for clash in shadowed([r for router in pair for r in router.routes if isinstance(r, Route)])
        if not _within(clash, pair[0]) and not _within(clash, pair[1])
    ]
    assert shared == []


def _within(clash: str, router: Any) -> bool:
    """Whether both paths of ``clash`` are ``router``'s own (an order it fixes itself)."""
    _, path, _, _, _, taker = clash.split(" ")
    paths = {r.path for r in router.routes if isinstance(r, Route)}
    return path in paths and taker in paths


def test_the_check_sees_a_shadowed_route() -> None:
    async def endpoint() -> None:
        raise AssertionError("never called")

    pattern = Route("/api/sync/{type}", endpoint, methods=["POST"])
    literal = Route("/api/sync/status", endpoint, methods=["GET", "POST"])
    assert shadowed([literal, pattern]) == []
    assert shadowed([pattern, literal]) == ["POST /api/sync/status is taken by /api/sync/{type}"]


def test_every_router_is_included_once() -> None:
    assert len({id(router) for router in ROUTERS}) == len(ROUTERS)
    assert len(_routes()) > 40
