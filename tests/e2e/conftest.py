"""Browser tests: real Chromium through Playwright against the real app over HTTP.

Two apps run for this package, each with its own database and demo ERP: ``live`` with the
default safety timeout, and ``idle_app`` with it shortened to a few seconds (scenario 13).
A failing test leaves a screenshot of each of its pages in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, Request, sync_playwright

from erpsync.testing.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.live_app import Agent, CoordinationLog, LiveApp, coordination_log, live_app
from tests.e2e.pages import close_tab

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Long enough that only a goodbye beacon (not lease expiry) ends a session within a test's
#: own deadlines; short enough that a leaked session clears before the next test.
LEASE_S = 12.0
IDLE_TIMEOUT_S = 3.0
SMART_SYNC_PATH = "/api/customers/smart-sync"
RESUME_PATH = "/api/customers/resume-syncs"

ContextFactory = Callable[..., BrowserContext]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def log() -> Iterator[CoordinationLog]:
    with coordination_log() as handler:
        yield handler


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory, log: CoordinationLog) -> Iterator[LiveApp]:
    data_dir = tmp_path_factory.mktemp("live")
    # a first start, as a fresh install makes it: the empty mirror is hydrated at once
    with live_app("live", data_dir, log, session_lease_s=LEASE_S, hydrate_on_start=True) as app:
        app.wait_idle()
        yield app


@pytest.fixture(scope="package")
def idle_app(tmp_path_factory: pytest.TempPathFactory, log: CoordinationLog) -> Iterator[LiveApp]:
    data_dir = tmp_path_factory.mktemp("idle")
    overrides = {"session_lease_s": LEASE_S, "safety_timeout_s": IDLE_TIMEOUT_S}
    with live_app("idle", data_dir, log, **overrides) as app:
        yield app


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


def _screenshot_name(item: pytest.Item, index: int) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    return ARTIFACTS / f"{safe}-page{index}.png"


@dataclass(frozen=True)
class OpenedSession:
    """A form session a tab of a signed-in context opened: what its goodbye sends."""

    app: LiveApp
    who: Agent
    goodbye: dict[str, str]


def _note_session(asked: Request, app: LiveApp, who: Agent, opened: list[OpenedSession]) -> None:
    if asked.method == "POST" and asked.url == f"{app.url}{SMART_SYNC_PATH}":
        body = asked.post_data_json
        goodbye = {"session_id": body["session_id"], "instance": body["instance"]}
        opened.append(OpenedSession(app, who, goodbye))


def _say_lost_goodbyes(opened: list[OpenedSession]) -> None:
    """The goodbyes of tabs that closed offline, behind a route or after another sign-in
    never reached the server; their sessions would hold the next test's syncs until the lease
    ran out. Each is said again, best effort: a session already closed is left as it is, and a
    goodbye refused (a revoked sign-in) leaves the session to its lease."""
    for session in opened:
        httpx.post(
            f"{session.app.url}{RESUME_PATH}",
            json=session.goodbye,
            headers=session.who.headers,
            timeout=10,
        )


@pytest.fixture
def contexts(browser: Browser, request: pytest.FixtureRequest) -> Iterator[ContextFactory]:
    """Makes browser contexts for an app (Italian; signed in as ``who`` if given).

    After the test: a screenshot of every page if it failed, then the tabs close (their order
    forms say goodbye), the goodbyes a tab could not deliver are said again, and every app used
    must be back to no open order form. That the tab's own goodbye ends its session is
    ``test_form_sessions.py``'s to check, within half the lease; this teardown only keeps one
    test's lost goodbyes from holding the next test's syncs.
    """
    made: list[BrowserContext] = []
    apps: list[LiveApp] = []
    #: Every form session a signed-in context opened, to say the goodbyes its tabs lost.
    opened: list[OpenedSession] = []

    def make(app: LiveApp, who: Agent | None = None, **options: object) -> BrowserContext:
        context = browser.new_context(
            locale="it-IT", viewport={"width": 1200, "height": 900}, **options
        )
        context.set_default_timeout(10_000)
        if who is not None:
            context.add_cookies([app.session_cookie(who)])  # type: ignore[list-item]
            context.on("request", lambda asked: _note_session(asked, app, who, opened))
        made.append(context)
        if all(known is not app for known in apps):
            apps.append(app)
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pages = [page for context in made for page in context.pages]
        for index, page in enumerate(pages):
            page.screenshot(path=str(_screenshot_name(request.node, index)), full_page=True)
    for context in made:
        for page in context.pages:
            close_tab(page)  # the form says goodbye
    _say_lost_goodbyes(opened)
    try:
        for app in apps:
            app.wait_sessions(0, paused=False, timeout=LEASE_S + 5)
    finally:
        for context in made:
            context.close()


@pytest.fixture
def agent(live: LiveApp) -> Agent:
    """A fresh agent of A01 with no drafts yet."""
    return live.new_agent()
