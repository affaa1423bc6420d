"""The routers' order decides only how fast a path is matched, never which route answers."""

from __future__ import annotations

import re

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
