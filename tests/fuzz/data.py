"""What the fuzzer feeds the API besides schema-derived values: records that exist in the
embedded demo ERP (so draft requests get past "not found" to the real work) and strings that
break things (NUL, SQL LIKE wildcards, quotes, non-BMP characters).

The demo ERP generates its data from a seed, so the records are known before the app starts:
the suite's schema (built at import time) can name them, and the ``fuzz_app`` fixture checks
that the live mirror holds them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from erpsync.bootstrap import demo_erp_config
from erpsync.demo_erp.data import generate_dataset
from erpsync.domain.types import SyncType
from erpsync.settings import Settings, load_settings

AGENT_CODE = "A01"

#: Text that has broken services before: NUL (PostgreSQL refuses it in text), LIKE wildcards and
#: the escape character, quotes, a right-to-left override, an astral-plane character.
EDGE_STRINGS: list[str] = [
    "\x00",
    "a\x00b",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "' OR '1'='1",
    "\u202e",
    "\U0001f600",
    "İß",
    " ",
]

#: Ids of drafts the fixture saves for each user before fuzzing (an agent's is a 404 to the admin).
DRAFT_IDS: dict[str, list[str]] = {
    "agent": ["fuzz-agent-draft-1", "fuzz-agent-draft-2"],
    "admin": ["fuzz-admin-draft-1", "fuzz-admin-draft-2"],
}


def _demo_records(settings: Settings) -> tuple[list[str], list[str], list[str], list[str]]:
    """Customers of the agent and of others, products orderable in any quantity and products
    with quantity rules, as the embedded demo ERP of ``settings`` will serve them."""
    dataset = generate_dataset(demo_erp_config(settings), datetime.now(UTC))
    customers = dataset[SyncType.CUSTOMERS]
    mine = [c["code"] for c in customers if c["agent_code"] == AGENT_CODE][:8]
    others = [c["code"] for c in customers if c["agent_code"] != AGENT_CODE][:2]
    products = dataset[SyncType.PRODUCTS]
    free = [
        p["code"] for p in products if (p["min_qty"] or 1) <= 1 and (p["multiple_qty"] or 1) <= 1
    ]
    ruled = [p["code"] for p in products if (p["multiple_qty"] or 1) > 1]
    return mine, others, free[:8], ruled[:3]


#: The settings the app's OpenAPI document is built with before any app runs (no database is
#: opened, no file written); the demo ERP seed comes from the environment, as the app's does.
SETTINGS = load_settings(
    database_url="sqlite://", session_secret="fuzz-" * 8, scheduler=False, demo_users=False
)
MY_CUSTOMERS, OTHER_CUSTOMERS, FREE_PRODUCTS, RULED_PRODUCTS = _demo_records(SETTINGS)


def dictionaries() -> tuple[dict[str, object], dict[str, object]]:
    """schemathesis ``dictionaries`` and the ``parameters`` bound to them."""
    all_drafts = [i for ids in DRAFT_IDS.values() for i in ids]
    words = ["Padova", "S.r.l.", "C0000", "P0001", "bianco", "Via Roma"]
    defined: dict[str, object] = {
        "edge": {"values": EDGE_STRINGS},
        "words": {"values": words + EDGE_STRINGS},
        "customers": {"values": [*MY_CUSTOMERS, *OTHER_CUSTOMERS, "\x00", "C\x00"]},
        "products": {"values": [*FREE_PRODUCTS, *RULED_PRODUCTS, "\x00", "P\x00"]},
        "prices": {"values": ["9.90", "0", "0.01", "123.45", "12.5"]},
        "discounts": {"values": ["0", "10", "12.5", "100"]},
        "drafts": {"values": all_drafts},
        "quantities": {"values": [1, 2, 3, 12, 24]},
        "priorities": {"values": [1, 3, 6, 100]},
        "intervals": {"values": [1, 15, 90, 10080]},
        "offsets": {"values": [0, 5, 30]},
    }
    bound: dict[str, object] = {
        "query.q": {"dictionary": "words", "probability": 0.4},
        "path.code": {"dictionary": "products", "probability": 0.5},
        "path.draft_id": {"dictionary": "drafts", "probability": 0.5},
        "body.id": {"dictionary": "drafts", "probability": 0.2},
        "body.customer_code": {"dictionary": "customers", "probability": 0.6},
        "body.lines[*].product_code": {"dictionary": "products", "probability": 0.6},
        "body.lines[*].unit_price": {"dictionary": "prices", "probability": 0.9},
        "body.lines[*].discount": {"dictionary": "discounts", "probability": 0.9},
        "body.notes": {"dictionary": "edge", "probability": 0.3},
        "body.lines[*].qty": {"dictionary": "quantities", "probability": 0.3},
        "body.priority": {"dictionary": "priorities", "probability": 0.3},
        "body.interval_minutes": {"dictionary": "intervals", "probability": 0.4},
        "body.offset_minutes": {"dictionary": "offsets", "probability": 0.4},
    }
    return defined, bound
