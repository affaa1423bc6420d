"""Every boundary of erpsync as a Protocol; each docstring is the contract an adapter keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from erpsync.domain.catalog import RecordSpec
from erpsync.domain.drafts import Draft
from erpsync.domain.records import CleanRecord
from erpsync.domain.runs import Checkpoint, RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.domain.users import Credentials, Role, User


class Clock(Protocol):
    """The only source of time. ``now()`` is timezone-aware UTC."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None:
        """Suspend for ``seconds`` of this clock's time (a fake clock waits for ``advance``)."""


@dataclass(frozen=True)
class SourcePage:
    """One page of one type from the ERP.

    ``items`` are raw, unvalidated objects; ``next_cursor`` is ``None`` on the last page;
    ``high_water_mark`` is the ERP's latest ``updated_at`` for the type when it served the page.
    """

    items: Sequence[Any]
    next_cursor: str | None
    high_water_mark: datetime | None


class ErpSource(Protocol):
    """Where ERP data comes from.

    Pages are served in a stable order (``updated_at`` then key), so a record that changes while
    a sync pages through moves behind the cursor and is still seen. ``since`` keeps only records
    with ``updated_at >= since``; ``cursor`` is the opaque value of a previous page.

    Raises:
        ErpUnavailableError: the ERP could not answer, after the adapter's own retries.
        ErpProtocolError: the answer does not follow the contract.
    """

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Quarantined:
    key: str | None
    reason: str
    payload: str


@dataclass(frozen=True)
class PageWrite:
    """Everything one page changes, written in one transaction with the run's checkpoint.

    ``upserts`` are new or changed records; they are marked seen by the run.
    """

    run_id: int
    spec: RecordSpec
    upserts: Sequence[CleanRecord]
    quarantined: Sequence[Quarantined]
    checkpoint: Checkpoint
    written_at: datetime


HashLookup = Mapping[str, str | None]


class MirrorStore(Protocol):
    """The local mirror of ERP data, one table per type (plus child tables)."""

    def write_page(
        self,
        spec: RecordSpec,
        run_id: int,
        keys: Sequence[str],
        build: Callable[[HashLookup], PageWrite],
        *,
        mark_seen: bool,
    ) -> PageWrite:
        """Compare and write one page atomically: all of it or none of it.

        In one transaction: look up the content hash of each of ``keys`` already mirrored
        (``None`` for a deleted record; keys never mirrored are absent), marking those rows
        seen by ``run_id`` when ``mark_seen``; hand the lookup to ``build``; write the
        :class:`PageWrite` it returns (upserts, quarantined items, the run's checkpoint) and
        return it. An upsert of a deleted record brings it back.
        """

    def sweep(self, spec: RecordSpec, run_id: int, now: datetime) -> int:
        """Mark deleted every live record that run ``run_id`` did not see; return how many."""

    def count(self, spec: RecordSpec, *, include_deleted: bool = False) -> int: ...

    def get(self, spec: RecordSpec, key: str) -> dict[str, Any] | None:
        """One mirrored record with its child rows (and ``deleted_at``), or ``None``."""

    def quarantined(self, run_id: int) -> list[dict[str, Any]]:
        """The items run ``run_id`` quarantined, oldest first, payload decoded."""


class RunStore(Protocol):
    """Sync runs and the per-type watermark."""

    def start_run(
        self,
        type: SyncType,
        mode: SyncMode,
        *,
        trigger: str,
        since: datetime | None,
        started_at: datetime,
    ) -> SyncRun: ...

    def resumable_run(self, type: SyncType) -> SyncRun | None:
        """The latest run of ``type`` whose status is resumable, if any."""

    def reopen_run(self, run_id: int) -> SyncRun:
        """Set a resumable run back to ``running`` to continue it from its checkpoint."""

    def get_run(self, run_id: int) -> SyncRun:
        """Raises ``RecordNotFoundError`` for an unknown id."""

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        *,
        finished_at: datetime | None,
        counts_delta_deleted: int = 0,
        error: str | None = None,
    ) -> SyncRun:
        """Set the final (or interrupted) status; ``counts_delta_deleted`` adds the sweep's
        deletions to the counts."""

    def watermark(self, type: SyncType) -> datetime | None: ...

    def set_watermark(self, type: SyncType, value: datetime) -> None: ...

    def recent_runs(self, type: SyncType | None = None, limit: int = 50) -> list[SyncRun]:
        """Newest first."""


class ScheduleStore(Protocol):
    """Schedule entries an admin changed; types never changed are absent."""

    def load(self) -> dict[SyncType, TypeSchedule]: ...

    def save(self, entry: TypeSchedule) -> None:
        """Persist ``entry`` (already validated), replacing the type's previous one."""


class UserStore(Protocol):
    """The people who sign in, and their API tokens. Names are unique and lower case."""

    def add(
        self,
        name: str,
        password_hash: str,
        role: Role,
        agent_code: str | None,
        created_at: datetime,
    ) -> User:
        """Raises ``UserExistsError`` when the name is taken."""

    def by_id(self, user_id: int) -> User | None: ...

    def credentials(self, name: str) -> Credentials | None:
        """The user called ``name`` with their password hash, or ``None``."""

    def set_password(self, user_id: int, password_hash: str) -> None: ...

    def all(self) -> list[User]:
        """Every user, by name."""

    def add_token(self, user_id: int, digest: str, label: str, created_at: datetime) -> None:
        """Keep the digest of a new API token of ``user_id``."""

    def by_token(self, digest: str) -> User | None:
        """The owner of the token with this digest, or ``None``."""


class DraftStore(Protocol):
    """Order drafts. Every read and change is scoped to the owner: another owner's draft is
    never returned nor touched, and looks exactly like a draft that does not exist."""

    def create(self, draft: Draft) -> tuple[Draft, bool]:
        """Store ``draft`` unless its id exists; return the stored draft and whether it was
        created now. The same id twice never makes two drafts (a retry returns the first).

        Raises:
            DraftConflictError: the id belongs to another owner's draft.
        """

    def get(self, owner_id: int, draft_id: str) -> Draft:
        """Raises ``RecordNotFoundError`` unless ``owner_id`` owns the draft."""

    def owned_by(self, owner_id: int) -> list[Draft]:
        """The owner's drafts, the most recently changed first."""

    def count(self, owner_id: int) -> int: ...

    def update(self, draft: Draft) -> Draft:
        """Replace the customer, notes and lines of ``draft`` (matched by id and owner);
        ``created_at`` stays. Raises ``RecordNotFoundError`` as :meth:`get` does."""

    def delete(self, owner_id: int, draft_id: str) -> None:
        """Raises ``RecordNotFoundError`` as :meth:`get` does."""


class MirrorSearch(Protocol):
    """Read-only queries on the mirror for the order form. Deleted records never show.

    ``agent_code`` scopes customers: ``None`` sees every customer, a code sees only the
    customers carrying it (an empty code sees none). ``terms`` are normalised words (see
    ``domain.search``); a record matches when its search text contains every term.
    """

    def customers(
        self, terms: Sequence[str], agent_code: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Matching customers by name, then code."""

    def customer(self, code: str, agent_code: str | None) -> dict[str, Any] | None: ...

    def products(self, terms: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """Matching products by code."""

    def products_by_code(self, codes: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def prices(self, product_code: str, on: date) -> list[dict[str, Any]]:
        """The price-list rows of a product valid on ``on``, by list code."""


@dataclass(frozen=True)
class Lease:
    """The orchestrator role, held by one process until ``expires_at``.

    ``epoch`` grows by one each time the role changes hands: writes fenced with it fail once
    another process has taken over. ``anchor`` is when the deployment first started; every
    holder keeps the schedule's grid on it.
    """

    holder: str
    epoch: int
    expires_at: datetime
    anchor: datetime


class LeaseStore(Protocol):
    """The one orchestrator role of a deployment, shared through the database."""

    def acquire(
        self,
        holder: str,
        now: datetime,
        ttl: timedelta,
        *,
        take_over: bool = False,
        fresh_start_after: timedelta | None = None,
    ) -> Lease | None:
        """Take or renew the role: granted when nobody holds it, when ``holder`` already does
        (the expiry moves on), when the current lease has expired, or with ``take_over`` (the
        caller knows the holder is dead). A new holder gets the next epoch. ``None`` when
        another holder's lease is still valid.

        The anchor is kept while the role passes from holder to holder; when it has been
        vacant for ``fresh_start_after`` or more, the deployment starts afresh: the anchor
        becomes ``now``."""

    def current(self) -> Lease | None: ...

    def release(self, holder: str, epoch: int, now: datetime) -> None:
        """End the lease now, if ``holder`` still holds it at ``epoch``."""


@dataclass(frozen=True)
class Command:
    id: int
    kind: str
    payload: dict[str, Any]


class CommandQueue(Protocol):
    """Commands for the orchestrator in charge, from any process, answered through the table."""

    def submit(self, kind: str, payload: dict[str, Any], now: datetime) -> int: ...

    def pending(self, limit: int = 100) -> list[Command]:
        """Commands not yet answered, oldest first."""

    def answer(self, command_id: int, result: dict[str, Any], now: datetime) -> None: ...

    def result(self, command_id: int) -> dict[str, Any] | None:
        """The answer, once there is one."""

    def purge(self, before: datetime) -> int:
        """Forget answered commands older than ``before``; return how many."""

    async def wait_for_work(self, timeout_s: float) -> None:
        """Return when a command may have arrived, or after ``timeout_s`` at the latest (a
        store that cannot tell simply waits). Callers check :meth:`pending` either way."""

    async def aclose(self) -> None: ...


class LiveStateStore(Protocol):
    """The copy of the orchestrator's live state that the holder publishes for every replica."""

    def publish(self, holder: str, epoch: int, state: dict[str, Any], now: datetime) -> None: ...

    def read(self) -> tuple[dict[str, Any], datetime] | None:
        """The latest published state and when it was published."""
