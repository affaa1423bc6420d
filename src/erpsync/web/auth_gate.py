"""Who is asking: every request but the public ones needs a signed-in user.

The user comes from a bearer API token when the request carries one (scripts), else from the
sign-in the signed session cookie names (pages), looked up on the server each time, so one that
ended (signed out, password changed) is worth nothing. Without a user, an API call gets 401
JSON and a page visit is sent to the login page.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from erpsync.domain.users import User
from erpsync.services.accounts import Accounts
from erpsync.web.origin_check import has_bearer_token

PUBLIC_PATHS = frozenset({"/login", "/healthz", "/favicon.ico", "/sw.js", "/manifest.webmanifest"})
PUBLIC_PREFIXES = ("/static/",)
#: Public and never about the user: no need to look the user up.
ANONYMOUS_PATHS = frozenset({"/healthz", "/favicon.ico"})
#: Routes that check who may read them themselves (a scraper's token is no user's).
SELF_GUARDED = frozenset({"/metrics"})
#: The session cookie's key for the sign-in token.
SIGN_IN = "sid"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


def bearer_token(headers: Headers) -> str | None:
    if not has_bearer_token(headers):
        return None
    return headers["authorization"][len("bearer ") :].strip()


async def resolve_user(scope: Scope, accounts: Accounts) -> User | None:
    headers = Headers(scope=scope)
    token = bearer_token(headers)
    if token is not None:
        return await asyncio.to_thread(accounts.user_for_token, token)
    session = scope.get("session")
    sign_in = session.get(SIGN_IN) if session is not None else None
    if not isinstance(sign_in, str):
        return None
    user = await asyncio.to_thread(accounts.user_for_sign_in, sign_in)
    if user is None and session is not None:
        session.clear()  # the sign-in ended: forget the stale cookie
    return user


def refusal(scope: Scope) -> Response:
    path = scope["path"]
    if is_api(path) or scope["method"] not in ("GET", "HEAD"):
        return JSONResponse(
            {"error": "sign-in required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="erpsync"'},
        )
    target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


class AuthGate:
    """Sets ``request.state.user`` (``None`` when nobody is signed in); static files and the
    health probe skip the lookup."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in ANONYMOUS_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        accounts: Accounts = scope["app"].state.services.accounts
        user = await resolve_user(scope, accounts)
        scope.setdefault("state", {})["user"] = user
        if user is None and not is_public(path) and path not in SELF_GUARDED:
            await refusal(scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)
