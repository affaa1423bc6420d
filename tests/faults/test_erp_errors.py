"""503s and timeouts from the ERP: retried within ``ERPSYNC_ERP_RETRY_ATTEMPTS``, so transient
ones cost nothing but time, and a page every attempt of which fails ends its run ``failed`` as
``erp_unavailable`` with the reason, with health saying so until a sync succeeds again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from erpsync.adapters.erp_http import RetryPolicy
from erpsync.domain.types import SyncType
from tests.faults.checks import StatusLog, assert_back_to_the_erp, idle, type_health
from tests.faults.site import (
    ALL_TYPES,
    ERP_TIMEOUT_S,
    RETRY_ATTEMPTS,
    SYNC_TIMEOUT_S,
    FaultSite,
    Template,
    deployment,
)

#: How long the ERP hangs a request it times out: well past the client's patience.
ERP_HANG_S = 2.0
#: The longest the backoff between all the attempts of one page can add up to: each wait is
#: the initial one doubled per attempt, plus up to as much again of jitter.
_POLICY = RetryPolicy()
MAX_BACKOFF_S = sum(
    min(_POLICY.initial_wait_s * (2**n + 1), _POLICY.max_wait_s) for n in range(RETRY_ATTEMPTS - 1)
)
#: Time the service takes besides waiting on the ERP: writing pages, starting the run.
SLACK_S = 1.5


@dataclass(frozen=True)
class Fault:
    """Faults put in force on the ERP, the types synced through them, and what the error of
    a run they defeat names."""

    name: str
    settings: dict[str, float] = field(default_factory=dict)
    types: tuple[SyncType, ...] = ALL_TYPES
    reason: str = ""

    def __str__(self) -> str:
        return self.name


#: With the ERP's seeded dice each of these is met several times, yet no page sees every one
#: of its attempts fail (at these rates one page in hundreds would).
TRANSIENT = [
    Fault(
        "a fifth of the pages answered 503",
        {"error_rate": 0.2},
        (SyncType.CUSTOMERS, SyncType.PRODUCTS, SyncType.ORDERS),
    ),
    Fault(
        "a burst of 503s one short of the attempts",
        {"fail_next": RETRY_ATTEMPTS - 1},
        (SyncType.CUSTOMERS,),
    ),
    Fault(
        "a quarter of the pages timing out",
        {"timeout_rate": 0.25, "timeout_seconds": ERP_HANG_S},
        (SyncType.INVOICES,),
    ),
]
PERSISTENT = [
    Fault("every page answered 503", {"error_rate": 1.0}, (SyncType.DDT,), "ERP answered 503"),
    Fault(
        "a burst of 503s as long as the attempts",
        {"fail_next": RETRY_ATTEMPTS},
        (SyncType.DDT,),
        "ERP answered 503",
    ),
    Fault(
        "every page timing out",
        {"timeout_rate": 1.0, "timeout_seconds": ERP_HANG_S},
        (SyncType.DDT,),
        "ReadTimeout",
    ),
]


@pytest.fixture(scope="module")
def shared_site(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultSite]:
    """One deployment for the faults that throw no dice (certain failures, counted bursts):
    each case leaves it green, and starting one costs more than the case itself."""
    with deployment(template, tmp_path_factory.mktemp("erp-errors")) as site:
        yield site


def faults_met(site: FaultSite) -> int:
    stats = site.erp_stats()
    met: int = stats["unavailable_injected"] + stats["timeouts_injected"]
    return met


@pytest.mark.parametrize("fault", TRANSIENT, ids=str)
def test_transient_erp_errors_are_retried_with_their_cause_logged_and_every_run_completes(
    site: FaultSite, log: StatusLog, fault: Fault
) -> None:
    site.faults(**fault.settings)
    first = site.last_run_id()
    site.request(fault.types)
    log.until(idle, "the syncs ended", SYNC_TIMEOUT_S)

    assert faults_met(site) > 0, "the ERP never injected the fault"
    stats = site.erp_stats()
    repeated = stats["requests_total"] - stats["pages_served"]
    assert repeated > 0, "no page was asked for twice"
    retries = site.service_log("erp_retry")
    runs = site.runs_after(first)
    assert sorted(r["type"] for r in runs) == sorted(t.value for t in fault.types)
    assert [r for r in runs if r["status"] != "completed"] == []
    status = log.sample()
    assert status["health"]["healthy"], status["health"]
    assert status["health"]["erpReachable"] is True
    assert_back_to_the_erp(site, log, fault.types)

    # a page the client gave up on may still have been served: at least one retry a repeat
    assert len(retries) >= repeated, f"{repeated} requests repeated, {len(retries)} retries logged"
    silent = [line for line in retries if "reason=''" in line]
    assert not silent, "retries logged without saying why:\n" + "\n".join(silent)


@pytest.mark.parametrize("fault", PERSISTENT, ids=str)
def test_when_every_attempt_fails_the_run_ends_failed_as_erp_unavailable_with_the_reason(
    shared_site: FaultSite, fault: Fault
) -> None:
    site, log = shared_site, StatusLog(shared_site.admin)
    (type,) = fault.types
    site.erp.reset_stats()
    site.faults(**fault.settings)
    first = site.last_run_id()
    site.request(fault.types)
    log.until(idle, "the sync ended", SYNC_TIMEOUT_S)

    (run,) = site.runs_after(first)
    assert (run["status"], run["errorKind"]) == ("failed", "erp_unavailable"), run
    assert fault.reason in run["error"], run["error"]
    assert run["pages"] == 0
    asked = site.erp_stats()["requests"][type.value]
    assert asked == RETRY_ATTEMPTS, f"the first page was asked for {asked} times"
    budget = RETRY_ATTEMPTS * ERP_TIMEOUT_S + MAX_BACKOFF_S + SLACK_S
    assert run["durationS"] < budget, f"it took {run['durationS']} s to give up"

    status = log.sample()
    own = type_health(status, type.value)
    assert (own["healthy"], own["erpReachable"], own["consecutiveFailures"]) == (False, False, 1)
    assert (status["health"]["healthy"], status["health"]["erpReachable"]) == (False, False)
    last = next(t["lastRun"] for t in status["types"] if t["type"] == type.value)
    assert (last["id"], last["errorKind"]) == (run["id"], "erp_unavailable")
    assert_back_to_the_erp(site, log, fault.types)
