"""Malformed items from the ERP: each quarantined with its reason and counted, none aborting
the sync or deleting what the mirror holds, and a clean sync afterwards leaves the mirror
equal to the ERP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from erpsync.adapters.db.tables import mirror_tables
from erpsync.domain.catalog import SPECS
from tests.faults.checks import StatusLog, assert_back_to_the_erp, idle
from tests.faults.site import ALL_TYPES, SYNC_TIMEOUT_S, FaultSite

#: About one item in twenty: every page of every type gets some.
MALFORMED_RATE = 0.05


def mirrored(site: FaultSite) -> dict[str, int]:
    """Live mirror rows per type."""
    counts = {}
    with site.engine.connect() as conn:
        for type in ALL_TYPES:
            table = mirror_tables[SPECS[type].table]
            query = select(func.count()).select_from(table).where(table.c.deleted_at.is_(None))
            counts[type.value] = conn.execute(query).scalar_one()
    return counts


@pytest.mark.parametrize(
    "mirrored_first", [False, True], ids=["into an empty mirror", "over a full mirror"]
)
def test_malformed_rows_are_quarantined_with_a_reason_counted_and_never_abort_the_sync(
    site: FaultSite, log: StatusLog, mirrored_first: bool
) -> None:
    if mirrored_first:
        site.sync()
    before = mirrored(site)
    site.faults(malformed_rate=MALFORMED_RATE)
    site.erp.reset_stats()
    first = site.last_run_id()
    site.request(ALL_TYPES)
    log.until(idle, "the syncs ended", SYNC_TIMEOUT_S)

    runs = site.runs_after(first)
    assert sorted(r["type"] for r in runs) == sorted(t.value for t in ALL_TYPES)
    assert [r for r in runs if r["status"] != "completed"] == []
    problems = []
    for run in runs:
        counts, rows = run["counts"], site.quarantined(run["id"])
        if counts["quarantined"] == 0:
            problems.append(f"{run['type']}: nothing quarantined")
        if len(rows) != counts["quarantined"]:
            problems.append(
                f"{run['type']}: counts.quarantined={counts['quarantined']}, "
                f"{len(rows)} rows in the quarantine table"
            )
        problems += [
            f"{run['type']}: quarantined without a reason, key or payload: {row}"
            for row in rows
            if not (row["reason"] and row["record_key"] and row["payload"])
            or row["type"] != run["type"]
        ]
        if counts["deleted"]:
            problems.append(f"{run['type']}: {counts['deleted']} deleted")
        landed = counts["inserted"] + counts["updated"] + counts["unchanged"]
        if landed + counts["quarantined"] != counts["fetched"]:
            problems.append(f"{run['type']}: counts do not add up: {counts}")
    served = site.erp_stats()["malformed_items"]
    quarantined = sum(r["counts"]["quarantined"] for r in runs)
    if quarantined != served:
        problems.append(f"the ERP served {served} malformed items, {quarantined} quarantined")
    if mirrored_first and mirrored(site) != before:
        problems.append(f"the mirror went from {before} to {mirrored(site)} live rows")
    assert not problems, "\n".join(problems)
    status = log.sample()
    assert status["health"]["healthy"], status["health"]

    last = site.last_run_id()
    assert_back_to_the_erp(site, log)
    clean = site.runs_after(last)
    assert [r["counts"]["quarantined"] for r in clean] == [0] * len(ALL_TYPES)
