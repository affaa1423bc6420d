"""Refuses cross-site state changes: a browser's POST/PUT/PATCH/DELETE must come from our own
origin.

Browsers send ``Origin`` with every such request (``fetch``, forms and
``navigator.sendBeacon`` alike), and a page on another site cannot forge it; ``Referer`` is
the fallback when a privacy setting strips ``Origin``. A request with neither is refused.
Requests authenticated with a bearer token are exempt: a browser never attaches that header
cross-site on its own, and the auth gate then ignores the session cookie. So are requests with
no credentials at all to a route that needs them: they can change nothing, and the auth gate
tells them to sign in (401); the sign-in itself stays checked, against login forgery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; ``None`` if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    suffix = "" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{suffix}"


def has_bearer_token(headers: Headers) -> bool:
    return headers.get("authorization", "").lower().startswith("bearer ")


class OriginCheck:
    def __init__(
        self,
        app: ASGIApp,
        *,
        session_cookie: str,
        trusted_origins: Iterable[str] = (),
        public: Callable[[str], bool] = lambda path: False,
    ) -> None:
        self.app = app
        self._cookie = session_cookie
        self._public = public
        self._trusted = {o for o in map(normalise_origin, trusted_origins) if o}

    def _without_credentials(self, scope: Scope, headers: Headers) -> bool:
        cookies = headers.get("cookie", "")
        has_cookie = any(part.strip().startswith(f"{self._cookie}=") for part in cookies.split(";"))
        return not has_cookie and not self._public(scope["path"])

    def allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        if scope["method"] in SAFE_METHODS or has_bearer_token(headers):
            return True
        if self._without_credentials(scope, headers):
            return True
        claimed = headers.get("origin") or headers.get("referer")
        origin = normalise_origin(claimed) if claimed else None
        if origin is None:
            return False
        own = normalise_origin(f"{scope['scheme']}://{headers.get('host', '')}")
        return origin == own or origin in self._trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allowed(scope):
            response = JSONResponse(
                {"error": "cross-site request refused: the Origin is not this site"},
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
