"""schemathesis against erpsync's own OpenAPI document, as an agent and as an admin, on SQLite
and on PostgreSQL: no 5xx, no undocumented status, no response outside its documented schema,
no schema-valid request refused (and, besides, no schema-violating request accepted and no
undocumented method answered as if it were one).

Each pytest item is one operation for one database and one user, e.g.
``test_api_conforms_to_its_openapi_document[POST /api/drafts][postgres-agent]``; it fails with
every distinct failure it met (see ``findings``), and the terminal summary groups them all.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from erpsync.web.app import create_app
from erpsync.web.inputs import CODE_LENGTH, MONEY, PERCENT
from tests.fuzz.conftest import FuzzApp, User
from tests.fuzz.data import FREE_PRODUCTS, MY_CUSTOMERS, SETTINGS, dictionaries
from tests.fuzz.findings import FINDINGS

#: Generated examples per operation in the fuzzing phase; the coverage phase adds its own
#: deterministic boundary and wrong-method cases on top. With the operations, 2 users and 2
#: databases the whole file takes some 62 s on 2 cores (60 examples: about 78 s).
MAX_EXAMPLES = 40
#: A fixed seed, so a run repeats the previous one as far as the app answers alike (schemathesis
#: also learns from the answers); change it to explore further.
SEED = 20240611

CHECKS = [
    # what the suite promises
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    positive_data_acceptance,
    # and two more, for bugs the four cannot see: a wrongly typed value the service takes
    # (`"active": 0`, `"priority": "3"`), and a method a path does not have answered by another
    # route (`POST /api/sync/status`)
    negative_data_rejection,
    unsupported_method,
]

#: The document the app serves at /openapi.json, built without starting the app.
#: schemathesis 4.32's lazy loader (``schemathesis.pytest.from_fixture``) fails on pytest 9.2
#: (it sets ``Node._nodeid``, gone in pytest 9), so the schema is loaded at import time; the
#: requests go to the live app of ``fuzz_app``, and a test checks it serves this same document.
DOCUMENT = create_app(SETTINGS).openapi()

_defined, _bound = dictionaries()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "request-timeout": 30,
            # generating the large draft bodies can be slow on a loaded 2-core machine
            "suppress-health-check": ["too_slow"],
            "dictionaries": _defined,
            "parameters": _bound,
            "operations": [
                {
                    # A draft the schema allows may still not be orderable: an unknown customer
                    # or another agent's, an unknown product, a quantity off the product's rules.
                    # Those are refused with 422 by rules of the mirror's data, not the schema.
                    "include-path-regex": "^/api/drafts",
                    "include-method": ["POST", "PUT"],
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                        }
                    },
                },
                {
                    # The book's lists take ``after``, an opaque cursor only a previous page
                    # hands out, and a date range that must not be empty (from after to): a
                    # string the schema allows is refused with 422 when it is neither.
                    "include-path-regex": "^/api/(orders|customers/[^/]+/(orders|ddt|invoices))$",
                    "include-method": ["GET"],
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "401", "403", "404", "422"]
                        }
                    },
                },
                {
                    # The offline slice's ``since`` is a cursor only a previous answer hands
                    # out: any other string the schema allows is refused with 422.
                    "include-path-regex": "^/api/offline/",
                    "include-method": ["GET"],
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "304", "401", "403", "422"]
                        }
                    },
                },
            ],
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                # the users' own credentials are sent (fuzz_user); generating cookie and bearer
                # values would only test the HTTP server's parser, not erpsync
                "with-security-parameters": False,
                "dictionaries": {"string": {"dictionary": "edge", "probability": 0.15}},
            },
        }
    ),
).exclude(
    # The Server-Sent Events stream never ends: the server notices a client has gone only at its
    # next event or keep-alive, up to 15 s later, and holds the connection (and the app's
    # shutdown) until then.
    path="/api/sync/events"
)
# /login and /logout are not in the document (include_in_schema=False), so there is nothing
# to exclude for them; signing in and out is not what this suite fuzzes.


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: object) -> bool:
    return _number(value) and float(value) == int(value)  # type: ignore[arg-type]


def _code(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= CODE_LENGTH and "\x00" not in value


def _matching(pattern: str) -> Callable[[object], bool]:
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and compiled.match(value) is not None


def _pick(seed: object, options: list[str]) -> str:
    return options[zlib.crc32(repr(seed).encode()) % len(options)]


Rule = tuple[str, Callable[[object], bool], Callable[[object], object]]

#: Per body (or draft line): a field, when the document allows its value, and what the service
#: accepts in its place.
DRAFT_RULES: list[Rule] = [
    ("customer_code", _code, lambda v: _pick(v, MY_CUSTOMERS)),
]
LINE_RULES: list[Rule] = [
    ("product_code", _code, lambda v: _pick(v, FREE_PRODUCTS)),
    ("unit_price", _matching(MONEY), lambda v: "9.90"),
    ("discount", _matching(PERCENT), lambda v: "0"),
]
SCHEDULE_RULES: list[Rule] = [
    ("interval_minutes", lambda v: _number(v) and 1 <= v <= 10080, lambda v: 15),  # type: ignore[operator]
    ("offset_minutes", lambda v: _number(v) and 0 <= v < 1440, lambda v: 0),  # type: ignore[operator]
    ("priority", lambda v: _whole(v) and 1 <= v <= 100, lambda v: 3),  # type: ignore[operator]
]


def _apply(rules: list[Rule], body: object) -> None:
    if isinstance(body, dict):
        for name, allowed, accepted in rules:
            if name in body and allowed(body[name]):
                body[name] = accepted(body[name])


@schema.hook
def map_case(context: Any, case: Any) -> Any:
    """Let a negative request break one rule only.

    The dictionaries (tests.fuzz.data) point positive cases at real customers and products; in
    a negative case they may only substitute invalid values. So a draft with a wrongly typed
    quantity would still name a random customer and be refused for that, and whether the
    service takes the wrong type would never show. Here every value of a negative draft or
    schedule body that the document allows is replaced by one the service accepts as well (a
    real customer, a product orderable in any quantity, a plain price, a schedule within the
    domain's bounds); what the mutation broke stays as it was.
    """
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.NEGATIVE:
        return case
    body = case.body
    if case.path.startswith("/api/drafts"):
        _apply(DRAFT_RULES, body)
        lines = body.get("lines") if isinstance(body, dict) else None
        for line in lines if isinstance(lines, list) else []:
            _apply(LINE_RULES, line)
    elif case.path == "/api/sync/schedule/{type}":
        _apply(SCHEDULE_RULES, body)
    return case


@pytest.fixture(scope="module", params=["agent", "admin"])
def fuzz_user(request: pytest.FixtureRequest, fuzz_app: FuzzApp) -> User:
    return fuzz_app.users[request.param]


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(
    case: Any, fuzz_app: FuzzApp, fuzz_user: User
) -> None:
    fuzz_app.crashes.take()
    response = case.call(base_url=fuzz_app.url, headers=fuzz_user.headers)
    FINDINGS.requests += 1
    try:
        case.validate_response(
            response,
            checks=CHECKS,
            headers=fuzz_user.headers,
            transport_kwargs={"base_url": fuzz_app.url, "headers": fuzz_user.headers},
        )
    except FailureGroup as group:
        FINDINGS.record(
            group,
            case,
            response,
            where=f"{fuzz_app.database}/{fuzz_user.role}",
            auth=f"Bearer <{fuzz_user.role} token>",
            crash=fuzz_app.crashes.take() if response.status_code >= 500 else None,
        )


test_api_conforms_to_its_openapi_document.records_findings = True


def test_the_fuzzed_document_is_the_one_the_app_serves(fuzz_app: FuzzApp) -> None:
    assert fuzz_app.document == DOCUMENT
