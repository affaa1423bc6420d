"""The one sync engine: pages through the ERP source into the mirror, for any type.

It owns every run row: it starts a run or resumes the type's unfinished one, writes each page
in one transaction together with the run's checkpoint, and ends the run completed, interrupted
at a page boundary (to continue later from the checkpoint), failed with the reason, or failed
by the watchdog when it ran past its time limit. Store calls go to a worker thread so the event
loop keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from erpsync.domain.catalog import SPECS, RecordSpec
from erpsync.domain.dispatch import YieldReason
from erpsync.domain.runs import Checkpoint, RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType
from erpsync.errors import ErpProtocolError, ErrorKind, LostRoleError, error_kind
from erpsync.ports import (
    Clock,
    ErpSource,
    HashLookup,
    MirrorStore,
    PageWrite,
    RunObserver,
    RunStore,
    SourcePage,
    SyncJob,
)
from erpsync.services.page_diff import candidates, sort_page
from erpsync.services.watchdog import within

log = logging.getLogger(__name__)

YieldCheck = Callable[[], YieldReason | None]
#: Old runs deleted at most at the end of each full sync (see ``SyncRunner._prune``).
PRUNED_PER_FULL_SYNC = 5000


def never() -> YieldReason | None:
    return None


class QuietObserver:
    """A :class:`~erpsync.ports.RunObserver` that is told nothing it cares about."""

    def began(self, run: SyncRun, resumed: bool) -> None:
        return None

    def progressed(self, run: SyncRun) -> None:
        return None

    def stopping(self, reason: YieldReason) -> None:
        return None


class SyncRunner:
    """:class:`~erpsync.ports.SyncEngine` over an ERP source, the mirror and the run store."""

    def __init__(
        self,
        source: ErpSource,
        mirror: MirrorStore,
        runs: RunStore,
        clock: Clock,
        *,
        overlap: timedelta = timedelta(seconds=60),
        specs: Mapping[SyncType, RecordSpec] = SPECS,
        history: timedelta | None = None,
    ) -> None:
        """``history``: runs that started longer ago are deleted, a few at each full sync's
        end (see :meth:`~erpsync.ports.RunStore.prune`); ``None`` keeps them all."""
        self._source = source
        self._mirror = mirror
        self._runs = runs
        self._clock = clock
        self._overlap = overlap
        self._specs = specs
        self._history = history

    async def last_full_syncs(self) -> dict[SyncType, datetime]:
        return await asyncio.to_thread(self._last_full_syncs)

    async def recover(self) -> list[SyncRun]:
        return await asyncio.to_thread(self._recover)

    async def empty_types(self) -> list[SyncType]:
        return await asyncio.to_thread(self._empty_types)

    def _empty_types(self) -> list[SyncType]:
        return [
            type
            for type, spec in self._specs.items()
            if self._mirror.count(spec) == 0
            and not any(r.status == RunStatus.COMPLETED for r in self._runs.recent(type, 50))
        ]

    def _recover(self) -> list[SyncRun]:
        abandoned = self._runs.interrupt_abandoned()
        for run in abandoned:
            log.warning(
                "action=run_abandoned type=%s run=%d pages=%d",
                run.type.value,
                run.id,
                run.checkpoint.pages,
            )
        unfinished = [r for t in SyncType if (r := self._runs.unfinished(t)) is not None]
        return sorted(unfinished, key=lambda r: r.id)

    def _last_full_syncs(self) -> dict[SyncType, datetime]:
        found: dict[SyncType, datetime] = {}
        for type in SyncType:
            for run in self._runs.recent(type, 50):
                if run.mode == SyncMode.FULL and run.status == RunStatus.COMPLETED:
                    if run.finished_at is not None:
                        found[type] = run.finished_at
                    break
        return found

    async def run(
        self,
        job: SyncJob,
        *,
        yield_reason: YieldCheck = never,
        observer: RunObserver | None = None,
        time_limit: timedelta | None = None,
    ) -> SyncRun:
        """Sync ``job.type`` and return the run as it ended (see ``SyncEngine.run``)."""
        begun: list[SyncRun] = []
        attempt = self._run(job, yield_reason, observer or QuietObserver(), begun)
        if time_limit is None:
            return await attempt
        finished = await within(self._clock, time_limit, attempt)
        if finished is not None:
            return finished
        return await asyncio.to_thread(self._timed_out, job, begun, time_limit)

    def _timed_out(self, job: SyncJob, begun: list[SyncRun], limit: timedelta) -> SyncRun:
        now = self._clock.now()
        run = begun[0] if begun else None
        if run is None:  # it hung before its run was even recorded
            run = self._runs.start(job.type, job.mode, trigger=job.trigger, since=None, at=now)
        reason = f"exceeded the maximum run time of {int(limit.total_seconds())} s"
        return self._runs.fail(run.id, now, ErrorKind.TIMED_OUT, reason)

    async def _run(
        self, job: SyncJob, yield_reason: YieldCheck, observer: RunObserver, begun: list[SyncRun]
    ) -> SyncRun:
        run, resumed = await asyncio.to_thread(self._begin, job)
        begun.append(run)
        observer.began(run, resumed)
        spec = self._specs[job.type]
        try:
            if resumed and run.checkpoint.pages and run.checkpoint.cursor is None:
                # it stopped after writing its last page: only its ending is left to do
                return await asyncio.to_thread(self._complete, spec, run)
            return await self._pages(spec, run, yield_reason, observer)
        except Exception as exc:
            reason = str(exc) or exc.__class__.__name__
            return await asyncio.to_thread(self._fail, run, error_kind(exc), reason)

    def _fail(self, run: SyncRun, kind: ErrorKind, reason: str) -> SyncRun:
        now = self._clock.now()
        try:
            return self._runs.fail(run.id, now, kind, reason)
        except LostRoleError:  # the run is the new holder's now: leave its row alone
            return run.failed(now, ErrorKind.LOST_ROLE, reason)

    def _begin(self, job: SyncJob) -> tuple[SyncRun, bool]:
        """The run to go on with: the type's unfinished one if it covers the job's mode, else a
        new one (an unfinished incremental run is then superseded by the full one)."""
        now = self._clock.now()
        mode = job.mode
        pending = self._runs.unfinished(job.type) if job.resume else None
        if pending is not None:
            if pending.continues_as(mode):
                return self._runs.resume(pending.id, now), True
            self._runs.fail(pending.id, now, ErrorKind.SUPERSEDED, "superseded by a full sync")
        watermark = self._runs.watermark(job.type)
        if watermark is None:
            mode = SyncMode.FULL
        since = None if mode == SyncMode.FULL or watermark is None else watermark - self._overlap
        return self._runs.start(job.type, mode, trigger=job.trigger, since=since, at=now), False

    async def _pages(
        self, spec: RecordSpec, run: SyncRun, yield_reason: YieldCheck, observer: RunObserver
    ) -> SyncRun:
        full = run.mode == SyncMode.FULL
        checkpoint = run.checkpoint
        asked = checkpoint.cursor
        page = await self._fetch(spec, run, asked)
        ahead: asyncio.Future[SourcePage] | None = None
        try:
            while True:
                if page.next_cursor is not None and page.next_cursor == asked:
                    raise ErpProtocolError(
                        f"the ERP answered cursor {asked!r} with the same cursor: "
                        "paging would never end"
                    )
                # The next page is fetched while this one is written, unless the run is to give
                # way: then the page in flight is the last one this run writes.
                if page.next_cursor is not None:
                    reason = yield_reason()
                    if reason is None:
                        ahead = asyncio.ensure_future(self._fetch(spec, run, page.next_cursor))
                    else:
                        observer.stopping(reason)
                checkpoint = await asyncio.to_thread(
                    self._write_page, spec, run, page, checkpoint, mark_seen=full
                )
                run = run.with_checkpoint(checkpoint)
                observer.progressed(run)
                if page.next_cursor is None:
                    return await asyncio.to_thread(self._complete, spec, run)
                if ahead is None:
                    return await asyncio.to_thread(self._runs.interrupt, run.id, self._clock.now())
                asked = page.next_cursor
                page, ahead = await ahead, None
        finally:
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await ahead

    def _fetch(self, spec: RecordSpec, run: SyncRun, cursor: str | None) -> Awaitable[SourcePage]:
        return self._source.fetch_page(
            spec.type, since=run.since, cursor=cursor, limit=spec.page_size
        )

    def _write_page(
        self,
        spec: RecordSpec,
        run: SyncRun,
        page: SourcePage,
        previous: Checkpoint,
        *,
        mark_seen: bool,
    ) -> Checkpoint:
        """Compare and write one page (in a worker thread); return the run's new checkpoint.

        A full run marks every key of the page seen, malformed ones included, so its sweep
        never deletes a record only because the ERP sent it malformed this time.
        """
        page_candidates = candidates(spec, page.items)

        def build(existing: HashLookup) -> PageWrite:
            sorted_page = sort_page(spec, page_candidates, existing)
            return PageWrite(
                run_id=run.id,
                spec=spec,
                upserts=sorted_page.upserts,
                quarantined=sorted_page.quarantined,
                checkpoint=Checkpoint(
                    cursor=page.next_cursor,
                    pages=previous.pages + 1,
                    counts=previous.counts + sorted_page.counts,
                    high_water_mark=previous.high_water_mark or page.high_water_mark,
                ),
                written_at=self._clock.now(),
            )

        written = self._mirror.write_page(
            spec, run.id, list(page_candidates.items), build, mark_seen=mark_seen
        )
        return written.checkpoint

    def _complete(self, spec: RecordSpec, run: SyncRun) -> SyncRun:
        deleted = 0
        if run.mode == SyncMode.FULL:
            deleted = self._mirror.sweep(spec, run.id, self._clock.now())
        mark = run.checkpoint.high_water_mark
        if mark is not None:
            self._runs.advance_watermark(spec.type, mark)
        completed = self._runs.complete(run.id, self._clock.now(), deleted=deleted)
        if run.mode == SyncMode.FULL and self._history is not None:
            self._prune(self._clock.now() - self._history)
        return completed

    def _prune(self, before: datetime) -> None:
        """At most :data:`PRUNED_PER_FULL_SYNC` old runs go (a smart sync adds one; full syncs
        end many times a day), so a history left to grow is worked off over several syncs
        rather than holding the database through one long delete."""
        pruned = self._runs.prune(before, limit=PRUNED_PER_FULL_SYNC)
        if pruned:
            log.info("action=runs_pruned count=%d before=%s", pruned, before.isoformat())
