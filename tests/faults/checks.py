"""What must hold whatever the fault: each status sampled tells one consistent story, every run
ends completed or failed with its reason, and once the faults are off a clean full sync brings
the mirror back to the ERP row for row with health green again."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from erpsync.domain.health import UNHEALTHY_AFTER_FAILURES
from erpsync.domain.types import SyncType
from erpsync.errors import ErrorKind
from tests.crash.deployment import Api
from tests.crash.mirror_check import mirror_differences
from tests.crash.processes import wait_until
from tests.faults.site import ALL_TYPES, PAGE_DEADLINE_S, FaultSite

Json = dict[str, Any]

ERROR_KINDS = frozenset(kind.value for kind in ErrorKind)
#: Failures that mean the ERP could not be used at all.
UNREACHABLE_KINDS = frozenset(kind.value for kind in ErrorKind if kind.erp_unreachable)
#: Samples this close to the page deadline are not judged on ``hung``: the status reads the
#: clock once more after the snapshot, and either answer is right at the boundary.
DEADLINE_MARGIN_S = 0.05
ENDED = ("completed", "failed")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _waited_s(status: Json) -> float | None:
    """How long the running sync has waited for its next page, as of this status."""
    current = status["current"]
    if current is None or current["progressAt"] is None:
        return None
    return (_at(status["generatedAt"]) - _at(current["progressAt"])).total_seconds()


def _reachable_after(run: Json | None) -> bool | None:
    """Whether a finished run reached the ERP; ``None`` when it says nothing about it."""
    if run is None or run["status"] not in ENDED:
        return None
    return not (run["status"] == "failed" and run["errorKind"] in UNREACHABLE_KINDS)


def hung_type(status: Json, deadline_s: float = PAGE_DEADLINE_S) -> str | None:
    """The type a status should call hung, from its own running sync and clock."""
    waited = _waited_s(status)
    if waited is None or waited <= deadline_s:
        return None
    current: str = status["current"]["type"]
    return current


def contradictions(status: Json, deadline_s: float = PAGE_DEADLINE_S) -> list[str]:
    """How the health in one ``/api/sync/status`` answer contradicts the rest of it: the
    running sync and its last page, each type's last run, and the rules of health."""
    found: list[str] = []
    health = status["health"]
    waited = _waited_s(status)
    near_deadline = waited is not None and abs(waited - deadline_s) < DEADLINE_MARGIN_S
    hung = hung_type(status, deadline_s)
    last_runs = {t["type"]: t["lastRun"] for t in status["types"]}
    for type, own in health["types"].items():
        if not near_deadline and own["hung"] != (type == hung):
            found.append(
                f"{type}: hung={own['hung']} while its sync has waited {waited} s for a page "
                f"(deadline {deadline_s} s)"
            )
        expected = False if own["hung"] else _reachable_after(last_runs[type])
        if last_runs[type] is not None and expected is not None and own["erpReachable"] != expected:
            found.append(
                f"{type}: erpReachable={own['erpReachable']} after its last run "
                f"{last_runs[type]['status']} ({last_runs[type]['errorKind']})"
            )
        healthy = (
            not own["stale"]
            and own["consecutiveFailures"] < UNHEALTHY_AFTER_FAILURES
            and own["erpReachable"] is not False
        )
        if own["healthy"] != healthy:
            found.append(f"{type}: healthy={own['healthy']} with {own}")
    any_hung = any(own["hung"] for own in health["types"].values())
    if any_hung and (health["erpReachable"] is not False or health["healthy"]):
        found.append(f"a type is hung, yet the service says {health['erpReachable']=}")
    finished = [r for r in last_runs.values() if r is not None and r["finishedAt"]]
    latest = max(finished, key=lambda r: _at(r["finishedAt"]), default=None)
    overall = _reachable_after(latest)
    if not any_hung and overall is not None and health["erpReachable"] != overall:
        found.append(
            f"erpReachable={health['erpReachable']} while the latest run to end was "
            f"{latest and latest['type']} {latest and latest['status']}"
        )
    every_type = all(own["healthy"] for own in health["types"].values())
    if health["healthy"] != (every_type and health["erpReachable"] is not False):
        found.append(f"healthy={health['healthy']} with {health}")
    return found


@dataclass
class StatusLog:
    """Every status a test samples, each checked for contradictions as it comes."""

    api: Api
    samples: list[Json] = field(default_factory=list)

    def sample(self) -> Json:
        status = self.api.status()
        problems = contradictions(status)
        assert not problems, "the status contradicts itself:\n" + "\n".join(problems)
        self.samples.append(status)
        return status

    def until(self, check: Callable[[Json], bool], what: str, timeout_s: float) -> Json:
        """Sample until ``check`` holds for a status; that status."""
        return wait_until(lambda: s if check(s := self.sample()) else None, what, timeout_s)


def idle(status: Json) -> bool:
    """Nothing runs and nothing waits."""
    return status["current"] is None and not status["queue"]


def type_health(status: Json, type: str) -> Json:
    own: Json = status["health"]["types"][type]
    return own


def running_run(status: Json) -> str | None:
    current = status["current"]
    return None if current is None else str(current["type"])


def badly_ended(runs: Iterable[Json]) -> list[str]:
    """Runs that did not end completed, or failed without a reason and a kind."""
    found = []
    for run in runs:
        name = f"run {run['id']} ({run['type']}, {run['trigger']})"
        if run["status"] not in ENDED:
            found.append(f"{name} is {run['status']}")
        elif run["status"] == "failed" and not (run["error"] and run["errorKind"] in ERROR_KINDS):
            found.append(f"{name} failed with error={run['error']!r} kind={run['errorKind']!r}")
        elif run["status"] == "completed" and run["errorKind"] is not None:
            found.append(f"{name} completed with the error kind {run['errorKind']}")
    return found


def assert_back_to_the_erp(
    site: FaultSite, log: StatusLog, types: Iterable[SyncType] = ALL_TYPES
) -> None:
    """With the faults off, a clean full sync of ``types`` (those the faults met): every run
    there has ever been ended properly, health is green and the mirror of each of them
    equals the ERP row for row."""
    types = tuple(types)
    site.faults()
    site.wait_erp_free()
    site.sync(types, "full")
    status = log.sample()
    problems = badly_ended(site.runs())
    wanted = {t.value for t in types}
    latest = {t["type"]: t["lastRun"] for t in status["types"] if t["type"] in wanted}
    problems += [
        f"{type}: the clean full sync ended {run and run['status']}: {run and run['error']}"
        for type, run in latest.items()
        if run is None or run["status"] != "completed" or run["mode"] != "full"
    ]
    health = status["health"]
    if not (health["healthy"] and health["erpReachable"]):
        problems.append(f"after the clean full sync the health is {health}")
    problems += [
        f"{type}: {difference}"
        for type, difference in mirror_differences(site.erp, site.engine, types).items()
    ]
    assert not problems, "\n".join(problems)
