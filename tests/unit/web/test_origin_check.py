"""The cross-site request check: a browser's state-changing request must come from here."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Scope

from erpsync.web.origin_check import OriginCheck, normalise_origin

HOST = "erp.example.it:8000"
OWN = f"http://{HOST}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://Example.IT", "http://example.it"),
        ("http://example.it:80", "http://example.it"),
        ("https://example.it:443/path?q=1", "https://example.it"),
        ("https://example.it:8443", "https://example.it:8443"),
        ("http://127.0.0.1:8000/orders/new", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("file:///etc/passwd", None),
        ("http://", None),
        ("http://example.it:99999", None),
    ],
)
def test_origins_are_normalised(url: str, expected: str | None) -> None:
    assert normalise_origin(url) == expected


SIGNED_IN = {"cookie": "lang=it; erpsync_session=signed.value"}


def _scope(method: str, path: str = "/api/drafts", **headers: str) -> Scope:
    return {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": path,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


def _check() -> OriginCheck:
    return OriginCheck(
        _app,
        session_cookie="erpsync_session",
        trusted_origins=["https://proxy.example:443"],
        public=lambda path: path == "/login",
    )


async def _app(scope: Scope, receive: object, send: object) -> None:
    raise AssertionError("not called")


@pytest.mark.parametrize(
    ("method", "headers", "allowed"),
    [
        ("GET", {}, True),
        ("HEAD", {"origin": "https://evil.example"}, True),
        ("POST", {}, False),
        ("POST", {"origin": OWN}, True),
        ("DELETE", {"origin": OWN.upper()}, True),
        ("PUT", {"origin": "http://erp.example.it:8001"}, False),
        ("POST", {"origin": "https://erp.example.it:8000"}, False),
        ("POST", {"origin": "null"}, False),
        ("POST", {"referer": f"{OWN}/orders/new"}, True),
        ("POST", {"referer": "https://evil.example/page"}, False),
        ("POST", {"origin": "https://evil.example", "referer": f"{OWN}/x"}, False),
        ("POST", {"authorization": "Bearer esk_abc"}, True),
        ("POST", {"authorization": "Basic dXNlcjpwdw=="}, False),
        ("POST", {"origin": "https://proxy.example"}, True),
    ],
)
def test_which_requests_of_a_signed_in_browser_pass(
    method: str, headers: dict[str, str], allowed: bool
) -> None:
    assert _check().allowed(_scope(method, host=HOST, **SIGNED_IN, **headers)) is allowed


def test_a_request_without_credentials_is_left_to_the_sign_in_check() -> None:
    evil = {"origin": "https://evil.example"}
    assert _check().allowed(_scope("POST", host=HOST, **evil)), "the gate answers it 401"
    assert _check().allowed(_scope("POST", host=HOST)), "no Origin, no cookie: still 401"
    assert not _check().allowed(_scope("POST", "/login", host=HOST, **evil)), "login forgery"
    other_cookie = {"cookie": "lang=it", **evil}
    assert _check().allowed(_scope("POST", host=HOST, **other_cookie))


async def test_a_refused_request_gets_403_json_and_never_reaches_the_app() -> None:
    reached: list[str] = []

    async def endpoint(request: Request) -> JSONResponse:
        reached.append(request.method)
        return JSONResponse({"ok": True})

    app = OriginCheck(
        Starlette(routes=[Route("/x", endpoint, methods=["GET", "POST"])]),
        session_cookie="erpsync_session",
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies={"erpsync_session": "v"}
    ) as client:
        refused = await client.post("/x", headers={"Origin": "https://evil.example"})
        allowed = await client.post("/x", headers={"Origin": "http://testserver"})
        read = await client.get("/x")
    assert refused.status_code == 403
    assert "cross-site" in refused.json()["error"]
    assert allowed.status_code == 200
    assert read.status_code == 200
    assert reached == ["POST", "GET"]
