"""A page against the mirror: unchanged by hash, new and changed validated, bad quarantined."""

from __future__ import annotations

from erpsync.domain.catalog import SPECS
from erpsync.domain.records import content_hash
from erpsync.domain.types import SyncType
from erpsync.services.page_diff import candidates, sort_page

CUSTOMERS = SPECS[SyncType.CUSTOMERS]
AT = "2026-11-02T08:00:00+00:00"


def customer(code: str, name: str = "Rossi S.r.l.") -> dict[str, object]:
    return {"code": code, "name": name, "updated_at": AT}


def test_a_page_is_sorted_into_new_changed_unchanged_and_quarantined() -> None:
    same, changed, new = customer("C1"), customer("C2", "Bianchi"), customer("C3")
    bad = {"code": "C4", "updated_at": AT}  # no name
    keyless = {"name": "Senza codice", "updated_at": AT}
    page = candidates(CUSTOMERS, [same, changed, new, bad, keyless, customer("C3", "Verdi")])
    assert page.fetched == 6
    assert list(page.items) == ["C1", "C2", "C3", "C4"], "a key twice keeps its last version"
    existing = {"C1": content_hash(CUSTOMERS, same), "C2": "old-hash", "C4": None}

    sorted_page = sort_page(CUSTOMERS, page, existing)

    assert [r.key for r in sorted_page.upserts] == ["C2", "C3"]
    assert sorted_page.upserts[1].values["name"] == "Verdi"
    counts = sorted_page.counts
    assert (counts.fetched, counts.inserted, counts.updated, counts.unchanged) == (6, 1, 1, 1)
    assert counts.quarantined == 2
    reasons = {q.key: q.reason for q in sorted_page.quarantined}
    assert set(reasons) == {None, "C4"}
    assert "name" in reasons["C4"]
