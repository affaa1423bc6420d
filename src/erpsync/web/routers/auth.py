"""Signing in and out (the login page and the session cookie), and who is signed in."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from erpsync.auth.throttle import LoginThrottle
from erpsync.web.auth_gate import SESSION_USER
from erpsync.web.deps import AccountsDep, CurrentUser, ServicesDep
from erpsync.web.pages import PagesDep

router = APIRouter(tags=["sign-in"])


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


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
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    throttle = _throttle(request)
    key = username.strip().lower()
    now = services.clock.now()
    wait = throttle.retry_after(key, now)
    if wait is not None:
        context = {"next": safe_next(next), "error": "login.throttled", "wait": int(wait) + 1}
        return pages.render(request, "login.html", context, status_code=429)
    user = await asyncio.to_thread(accounts.authenticate, username, password)
    if user is None:
        throttle.failed(key, now)
        context = {"next": safe_next(next), "error": "login.failed", "username": username}
        return pages.render(request, "login.html", context, status_code=401)
    throttle.succeeded(key)
    request.session.clear()
    request.session[SESSION_USER] = user.id
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/me", tags=["sign-in"])
async def me(user: CurrentUser) -> dict[str, Any]:
    return {"name": user.name, "role": user.role.value, "agentCode": user.agent_code}
