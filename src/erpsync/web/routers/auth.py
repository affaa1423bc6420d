"""Signing in and out (the login page and the session cookie), and who is signed in."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from erpsync.web.auth_gate import SIGN_IN
from erpsync.web.deps import AccountsDep, CurrentUser, ServicesDep
from erpsync.web.inputs import form_text
from erpsync.web.pages import PagesDep

router = APIRouter(tags=["sign-in"])


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_address(request: Request) -> str:
    """Where the request comes from (behind a proxy: as the trusted proxy says)."""
    return request.client.host if request.client else "unknown"


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, pages: PagesDep, next: str | None = None) -> Response:
    if getattr(request.state, "user", None) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return pages.render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    pages: PagesDep,
    accounts: AccountsDep,
    services: ServicesDep,
    username: Annotated[str, form_text(64)] = "",
    password: Annotated[str, form_text(256)] = "",
    next: Annotated[str, form_text(2000)] = "/",
) -> Response:
    throttle = services.login_throttle
    address = client_address(request)
    now = services.clock.now()
    wait = await asyncio.to_thread(throttle.retry_after, username, address, now)
    if wait is not None:
        context = {"next": safe_next(next), "error": "login.throttled", "wait": int(wait) + 1}
        return pages.render(request, "login.html", context, status_code=429)
    user = await asyncio.to_thread(accounts.authenticate, username, password)
    if user is None:
        await asyncio.to_thread(throttle.failed, username, address, now)
        context = {"next": safe_next(next), "error": "login.failed", "username": username}
        return pages.render(request, "login.html", context, status_code=401)
    await asyncio.to_thread(throttle.succeeded, username, address)
    token = await asyncio.to_thread(accounts.sign_in, user)
    request.session.clear()
    request.session[SIGN_IN] = token
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, accounts: AccountsDep) -> Response:
    """Sign out: the sign-in ends on the server, so the cookie is worth nothing anywhere."""
    token = request.session.get(SIGN_IN)
    if isinstance(token, str):
        await asyncio.to_thread(accounts.sign_out, token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/me", tags=["sign-in"])
async def me(user: CurrentUser) -> dict[str, Any]:
    return {"name": user.name, "role": user.role.value, "agentCode": user.agent_code}
