"""Small pieces of the web layer: the auth gate's answers, redirects, money, form timing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from starlette.types import Scope

from erpsync.web.auth_gate import is_api, is_public, refusal
from erpsync.web.formatting import format_money
from erpsync.web.routers.auth import safe_next
from erpsync.web.routers.pages import form_timing


def _scope(method: str, path: str, query: bytes = b"") -> Scope:
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": []}


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/login", True),
        ("/healthz", True),
        ("/static/app.css", True),
        ("/static", False),
        ("/logout", False),
        ("/orders/new", False),
        ("/api/sync/status", False),
        ("/docs", False),
        ("/openapi.json", False),
    ],
)
def test_only_login_the_health_probe_and_static_files_are_public(path: str, public: bool) -> None:
    assert is_public(path) is public


def test_api_calls_are_told_401_and_pages_are_sent_to_the_login() -> None:
    assert is_api("/api/drafts") and is_api("/openapi.json") and not is_api("/drafts")
    api = refusal(_scope("GET", "/api/drafts"))
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer")
    page = refusal(_scope("GET", "/orders/new", b"draft=abc12345"))
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Forders%2Fnew%3Fdraft%3Dabc12345"
    assert refusal(_scope("POST", "/logout")).status_code == 401


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/orders/new?draft=x", "/orders/new?draft=x"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_after_signing_in_only_paths_on_this_site_are_followed(
    target: str | None, expected: str
) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("amount", "language", "text"),
    [
        ("1234.5", "it", "1.234,50 €"),
        (Decimal("0.07"), "it", "0,07 €"),
        ("1234567.891", "en", "€1,234,567.89"),
        ("18", "en", "€18.00"),
    ],
)
def test_money_reads_as_each_language_writes_it(
    amount: str | Decimal, language: str, text: str
) -> None:
    assert format_money(amount, language) == text


def test_the_form_heartbeats_well_inside_its_lease_and_reports_activity_often_enough() -> None:
    assert form_timing(45, 600) == {"heartbeatS": 15.0, "activityS": 5.0}
    assert form_timing(12, 3) == {"heartbeatS": 4.0, "activityS": 0.75}
    assert form_timing(0.6, 0.2) == {"heartbeatS": 0.5, "activityS": 0.25}
