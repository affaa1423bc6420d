"""How one demo ERP behaves: its data volumes, latency profile, faults and background ticker."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum

from erpsync.domain.types import SyncType
from erpsync.errors import ConfigurationError


class LatencyProfile(StrEnum):
    """``REALISTIC`` answers like the slow ERP in the field; ``INSTANT`` never waits."""

    REALISTIC = "realistic"
    INSTANT = "instant"


@dataclass(frozen=True)
class Volumes:
    """How many records of each type the generated dataset holds (a mid-size agency)."""

    customers: int = 1500
    products: int = 4500
    prices: int = 5000
    orders: int = 1000
    ddt: int = 1100
    invoices: int = 1000

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ConfigurationError(f"demo ERP volume of {f.name} must not be negative")

    def of(self, type: SyncType) -> int:
        count: int = getattr(self, type.value)
        return count


#: The fault settings that count requests down rather than roll dice: whole numbers.
COUNTDOWNS = ("fail_next", "reject_next", "fail_before_commit_next", "lose_answer_next")


@dataclass(frozen=True)
class FaultSettings:
    """Faults injected into the source API: reads (``GET /api/v1/*``) and order writes
    (``POST /api/v1/orders``) each have their own, so neither disturbs the other.

    Attributes:
        error_rate: fraction of reads answered 503.
        timeout_rate: fraction of reads that hang ``timeout_seconds`` and then answer 504.
        timeout_seconds: how long a timed-out read, or a write whose answer is lost, hangs.
        slow_page_seconds: extra delay added to every page served.
        malformed_rate: fraction of served items replaced by a malformed version.
        fail_next: the next ``fail_next`` reads are answered 503, whatever the rates say.
        reject_next: the next ``reject_next`` order writes are refused (422 ``refused``).
        fail_before_commit_next: the next so many order writes answer 503 and create nothing.
        lose_answer_next: the next so many order writes create the order, then hang
            ``timeout_seconds`` and answer 504: the order exists though the client never
            heard of it.
    """

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    slow_page_seconds: float = 0.0
    malformed_rate: float = 0.0
    fail_next: int = 0
    reject_next: int = 0
    fail_before_commit_next: int = 0
    lose_answer_next: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "timeout_rate", "malformed_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigurationError(f"demo ERP fault {name} must be between 0 and 1")
        if self.error_rate + self.timeout_rate > 1.0:
            raise ConfigurationError("demo ERP error_rate + timeout_rate must not exceed 1")
        for name in ("timeout_seconds", "slow_page_seconds", *COUNTDOWNS):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"demo ERP fault {name} must not be negative")


@dataclass(frozen=True)
class DemoErpConfig:
    """Everything that makes one demo ERP run; the same seed always yields the same data.

    Attributes:
        seed: seeds the generated data, the fault dice and the random edits.
        volumes: records per type.
        latency: the latency profile.
        token: the bearer token every ``/api`` and ``/admin`` request must carry.
        faults: the faults in force at start-up (changeable at run time).
        ticker_interval_seconds: every so many seconds a few customers, orders and invoices
            change by themselves; ``None`` turns the ticker off.
        agent_codes: the sales agents records are assigned to.
    """

    seed: int = 7
    volumes: Volumes = field(default_factory=Volumes)
    latency: LatencyProfile = LatencyProfile.REALISTIC
    token: str = "demo-token"
    faults: FaultSettings = field(default_factory=FaultSettings)
    ticker_interval_seconds: float | None = None
    agent_codes: tuple[str, ...] = ("A01", "A02", "A03")

    def __post_init__(self) -> None:
        try:
            # Accept the profile's name too ("instant"), as a CLI or settings file gives it.
            object.__setattr__(self, "latency", LatencyProfile(self.latency))
        except ValueError:
            raise ConfigurationError(
                f"unknown demo ERP latency profile {self.latency!r}; "
                f"choose one of {', '.join(p.value for p in LatencyProfile)}"
            ) from None
        if not self.token:
            raise ConfigurationError("demo ERP token must not be empty")
        if self.ticker_interval_seconds is not None and self.ticker_interval_seconds <= 0:
            raise ConfigurationError("demo ERP ticker interval must be positive")
        if not self.agent_codes or not all(self.agent_codes):
            raise ConfigurationError("demo ERP needs at least one non-empty agent code")
