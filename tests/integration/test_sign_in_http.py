"""Sign-ins over real HTTP: signing out and password changes end them on the server, the
anonymous are told to sign in, password guessing is throttled per name and address across
apps sharing a database; and what the API refuses: bad input (422, never 500) and bodies over
the limit (413)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from erpsync.settings import load_settings
from erpsync.web.app import SESSION_COOKIE, create_app
from tests.e2e.live_app import LiveApp, coordination_log, live_app
from tests.integration.sign_in import draft_body, signed_in
from tests.support import free_port, serve_in_thread

MAX_BODY = 4096
#: A second loopback address: another client machine, as the server sees it.
OTHER_ADDRESS = "127.0.0.2"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sign-in")


@pytest.fixture(scope="module")
def app(data_dir: Path) -> Iterator[LiveApp]:
    with (
        coordination_log() as log,
        live_app("sign-in", data_dir, log, demo_users=False, max_body_bytes=MAX_BODY) as running,
    ):
        running.api.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
        running.wait_idle()
        yield running


@pytest.fixture(scope="module")
def twin(app: LiveApp, data_dir: Path) -> Iterator[str]:
    """A second app on the same SQLite database (and session secret): another replica."""
    settings = load_settings(
        database_url=f"sqlite:///{data_dir}/erpsync.db",
        data_dir=data_dir,
        demo_erp_port=free_port(),
        demo_erp_profile="instant",
        demo_erp_ticker_s=None,
        scheduler=False,
        demo_users=False,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


def browser(url: str, *, address: str | None = None) -> httpx.Client:
    """A cookie-keeping client of ``url`` sending its Origin, from ``address`` if given."""
    transport = httpx.HTTPTransport(local_address=address) if address else None
    return httpx.Client(base_url=url, headers={"Origin": url}, transport=transport, timeout=10)


def log_in(client: httpx.Client, name: str, password: str) -> int:
    return client.post("/login", data={"username": name, "password": password}).status_code


def whoami(client: httpx.Client) -> int:
    return client.get("/api/me").status_code


# -- sign-ins end on the server ---------------------------------------------------------------


def test_signing_out_ends_the_sign_in_even_for_a_copy_of_the_cookie(app: LiveApp) -> None:
    who = app.new_agent("A01")
    client = signed_in(app, who)
    copy = client.cookies[SESSION_COOKIE]
    assert client.post("/logout").status_code == 303
    with httpx.Client(base_url=app.url, cookies={SESSION_COOKIE: copy}) as thief:
        refused = thief.get("/api/me")
    assert refused.status_code == 401
    assert refused.json() == {"error": "sign-in required"}


def test_a_password_change_ends_every_sign_in_of_the_user(app: LiveApp) -> None:
    who, bystander = app.new_agent("A01"), app.new_agent("A01")
    phone, laptop, theirs = signed_in(app, who), signed_in(app, who), signed_in(app, bystander)
    assert app.services.accounts.set_password(who.name, "pw-brand-new-1") == 2
    assert (whoami(phone), whoami(laptop)) == (401, 401)
    assert whoami(theirs) == 200, "another user's sign-in is not touched"
    with closing(browser(app.url)) as again:
        assert log_in(again, who.name, who.password) == 401
        assert log_in(again, who.name, "pw-brand-new-1") == 303
        assert whoami(again) == 200


def test_signing_a_user_out_everywhere_ends_all_their_sign_ins(app: LiveApp) -> None:
    who = app.new_agent("A02")
    first, second = signed_in(app, who), signed_in(app, who)
    assert app.services.accounts.sign_out_everywhere(who.name) == 2
    assert (whoami(first), whoami(second)) == (401, 401)


# -- the anonymous are told to sign in --------------------------------------------------------


def state_changing_operations(app: LiveApp) -> list[tuple[str, str]]:
    document = app.api.get("/openapi.json").json()
    fill = {"{type}": "orders", "{draft_id}": "draft-0001", "{code}": "P00001"}
    found = []
    for path, operations in document["paths"].items():
        for method in operations:
            if method != "get":
                for name, value in fill.items():
                    path = path.replace(name, value)
                found.append((method.upper(), path))
    return found


@pytest.mark.parametrize("origin", [None, "own", "http://evil.example"])
def test_a_state_change_without_credentials_is_401_never_403(
    app: LiveApp, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": app.url if origin == "own" else origin}
    operations = state_changing_operations(app)
    assert len(operations) >= 12
    with httpx.Client(base_url=app.url, headers=headers, timeout=10) as anonymous:
        for method, path in operations:
            answer = anonymous.request(method, path, json={})
            assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
            assert answer.json() == {"error": "sign-in required"}
            assert answer.headers["www-authenticate"].startswith("Bearer")
        assert anonymous.post("/logout").status_code == 401


# -- the login throttle -----------------------------------------------------------------------


def fail_five_times(url: str, name: str) -> None:
    with closing(browser(url)) as guesser:
        for attempt in range(5):
            assert log_in(guesser, name, f"guess-{attempt}") == 401


def test_five_wrong_passwords_lock_the_name_on_every_app_of_the_database(
    app: LiveApp, twin: str
) -> None:
    victim = app.new_agent("A01")
    fail_five_times(app.url, victim.name)
    with closing(browser(app.url)) as here, closing(browser(twin)) as there:
        assert log_in(here, victim.name, victim.password) == 429
        locked = there.post("/login", data={"username": victim.name, "password": victim.password})
        assert locked.status_code == 429
        assert "Troppi tentativi" in locked.text
        assert whoami(there) == 401


def test_the_lock_counts_across_apps_on_one_database(app: LiveApp, twin: str) -> None:
    victim = app.new_agent("A01")
    with closing(browser(app.url)) as here, closing(browser(twin)) as there:
        for attempt in range(5):
            client = here if attempt % 2 else there
            assert log_in(client, victim.name, f"guess-{attempt}") == 401
        assert log_in(here, victim.name, victim.password) == 429
        assert log_in(there, victim.name, victim.password) == 429


def test_the_lock_spares_other_names_and_other_addresses(app: LiveApp, twin: str) -> None:
    victim, neighbour = app.new_agent("A01"), app.new_agent("A01")
    fail_five_times(app.url, victim.name)
    with closing(browser(app.url)) as here:
        assert log_in(here, neighbour.name, "wrong") == 401, "another name is not locked"
        assert log_in(here, neighbour.name, neighbour.password) == 303
    for url in (app.url, twin):
        with closing(browser(url, address=OTHER_ADDRESS)) as elsewhere:
            assert log_in(elsewhere, victim.name, victim.password) == 303, url
            assert elsewhere.get("/api/me").json()["name"] == victim.name


# -- bad input is 422, never 500 --------------------------------------------------------------


Request = Callable[[httpx.Client, dict[str, Any]], httpx.Response]


def _draft(**change: Any) -> Request:
    def send(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
        return api.post("/api/drafts", json={**body, **change})

    return send


def _line(**change: Any) -> Request:
    def send(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
        return api.post("/api/drafts", json={**body, "lines": [{**body["lines"][0], **change}]})

    return send


def _get(path: str, **params: str) -> Request:
    return lambda api, body: api.get(path, params=params)


def _schedule(raw: str) -> Request:
    def send(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
        return api.put(
            "/api/sync/schedule/orders",
            content=raw,
            headers={"Content-Type": "application/json"},
        )

    return send


def _post(path: str, payload: dict[str, Any]) -> Request:
    return lambda api, body: api.post(path, json=payload)


SCHEDULE = '{{"interval_minutes": {}, "offset_minutes": {}, "priority": {}}}'

BAD_INPUT: dict[str, Request] = {
    "NUL in the customer search": _get("/api/customers", q="\x00"),
    "NUL in the product search": _get("/api/products", q="\x00"),
    "NUL as a product code": _get("/api/products/%00/prices"),
    "NUL in a product code": _get("/api/products/P%0000001/prices"),
    "NUL in the runs' type": _get("/api/sync/runs", type="\x00"),
    "a huge runs limit": _get("/api/sync/runs", limit="1e300"),
    "NUL in draft notes": _draft(notes="urgente\u0000"),
    "NUL in a draft's customer code": _draft(customer_code="C\u0000"),
    "NUL in a line's product code": _line(product_code="P\u00001"),
    "a draft id with NUL": _draft(id="draft-\u0000-0001"),
    "qty true": _line(qty=True),
    "qty as text": _line(qty="2"),
    "qty 1e300": _line(qty=1e300),
    "unit_price as a number": _line(unit_price=12.5),
    "discount as a number": _line(discount=5),
    "interval 1e300": _schedule(SCHEDULE.format("1e300", 0, 3)),
    "interval 1e400 (infinite)": _schedule(SCHEDULE.format("1e400", 0, 3)),
    "offset 1e300": _schedule(SCHEDULE.format(15, "1e300", 3)),
    "priority 1e300": _schedule(SCHEDULE.format(15, 0, "1e300")),
    "priority true": _schedule(SCHEDULE.format(15, 0, "true")),
    "NUL in a session id": _post("/api/customers/heartbeat", {"session_id": "tab-\u0000-0001"}),
    "active as text": _post("/api/customers/heartbeat", {"session_id": "tab-0001", "active": "1"}),
    "NUL in a goodbye": _post("/api/customers/resume-syncs", {"session_id": "tab\u00000001"}),
}


@pytest.fixture(scope="module")
def admin_api(app: LiveApp) -> httpx.Client:
    return app.client(app.admin)


@pytest.fixture(scope="module")
def valid_draft(admin_api: httpx.Client) -> dict[str, Any]:
    return draft_body(admin_api, uuid.uuid4().hex)


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_with_422_not_500(
    admin_api: httpx.Client, valid_draft: dict[str, Any], case: str
) -> None:
    answer = BAD_INPUT[case](admin_api, valid_draft)
    assert answer.status_code == 422, (case, answer.status_code, answer.text)
    assert answer.json()["error"]


def test_the_valid_draft_the_bad_input_cases_start_from_is_accepted(
    admin_api: httpx.Client, valid_draft: dict[str, Any]
) -> None:
    assert admin_api.post("/api/drafts", json=valid_draft).status_code in (200, 201)


# -- bodies over the limit --------------------------------------------------------------------


def oversized_draft(body: dict[str, Any]) -> bytes:
    return json.dumps({**body, "id": uuid.uuid4().hex, "notes": "x" * (2 * MAX_BODY)}).encode()


def in_chunks(data: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


JSON = {"Content-Type": "application/json"}


def test_a_body_announced_over_the_limit_is_413(
    admin_api: httpx.Client, valid_draft: dict[str, Any]
) -> None:
    answer = admin_api.post("/api/drafts", content=oversized_draft(valid_draft), headers=JSON)
    assert answer.status_code == 413, answer.text
    assert answer.json() == {"error": f"the request body is larger than {MAX_BODY} bytes"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/drafts"),
        ("PUT", "/api/sync/schedule/orders"),
        ("POST", "/api/customers/smart-sync"),
        ("POST", "/api/customers/resume-syncs"),
    ],
)
def test_a_chunked_body_over_the_limit_is_413(
    admin_api: httpx.Client, valid_draft: dict[str, Any], method: str, path: str
) -> None:
    answer = admin_api.request(
        method, path, content=in_chunks(oversized_draft(valid_draft)), headers=JSON
    )
    assert "content-length" not in answer.request.headers
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 413, answer.text


def test_a_body_just_under_the_limit_is_read(
    admin_api: httpx.Client, valid_draft: dict[str, Any]
) -> None:
    body = {**valid_draft, "id": uuid.uuid4().hex, "notes": "x" * 2000}
    data = json.dumps(body).encode()
    assert len(data) < MAX_BODY
    answer = admin_api.post("/api/drafts", content=in_chunks(data), headers=JSON)
    assert answer.status_code == 201, answer.text
