"""The one sync engine: pages through the ERP source into the mirror, for any type."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from erpsync.domain.catalog import SPECS, RecordSpec
from erpsync.domain.records import (
    CleanRecord,
    InvalidRecordError,
    clean_record,
    content_hash,
    raw_key,
)
from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType
from erpsync.errors import ErpProtocolError
from erpsync.ports import (
    Clock,
    ErpSource,
    HashLookup,
    MirrorStore,
    PageWrite,
    Quarantined,
    RunStore,
    SourcePage,
)

log = logging.getLogger(__name__)

ProgressListener = Callable[[SyncRun], None]


def _never() -> bool:
    return False


def _ignore(_run: SyncRun) -> None:
    return None


@dataclass(frozen=True)
class Candidates:
    """A page's items by key, each with its content hash, and the items with no usable key."""

    items: dict[str, tuple[Any, str]]
    keyless: list[Quarantined]
    fetched: int


@dataclass(frozen=True)
class SortedPage:
    """What to write of one page, and its counts."""

    upserts: list[CleanRecord]
    quarantined: list[Quarantined]
    counts: SyncCounts


def candidates(spec: RecordSpec, items: Sequence[Any]) -> Candidates:
    """Key and hash every item; a key seen twice in one page keeps its last version."""
    keyed: dict[str, tuple[Any, str]] = {}
    keyless: list[Quarantined] = []
    for item in items:
        key = raw_key(spec, item)
        if key is None:
            keyless.append(_quarantine(spec, item, None))
        else:
            keyed[key] = (item, content_hash(spec, item))
    return Candidates(keyed, keyless, len(items))


def sort_page(spec: RecordSpec, page: Candidates, existing: HashLookup) -> SortedPage:
    """Compare a page with the mirror by content hash and validate only what changed.

    Unchanged records are recognised by their hash alone and never parsed again.
    """
    upserts: list[CleanRecord] = []
    bad = list(page.keyless)
    inserted = updated = unchanged = 0
    for key, (item, digest) in page.items.items():
        known = existing.get(key)
        if known == digest:
            unchanged += 1
            continue
        try:
            upserts.append(clean_record(spec, item, digest))
        except InvalidRecordError as exc:
            bad.append(Quarantined(key, str(exc), _payload(item)))
            continue
        if known is None:
            inserted += 1
        else:
            updated += 1
    counts = SyncCounts(
        fetched=page.fetched,
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        quarantined=len(bad),
    )
    return SortedPage(upserts, bad, counts)


def _payload(item: Any) -> str:
    return json.dumps(item, default=str)


def _quarantine(spec: RecordSpec, item: Any, key: str | None) -> Quarantined:
    try:
        clean_record(spec, item)
    except InvalidRecordError as exc:
        return Quarantined(key, str(exc), _payload(item))
    return Quarantined(key, f"no usable {spec.key}", _payload(item))


class SyncRunner:
    """Runs one sync of one type to its end, its failure, or the next page boundary at which
    ``should_yield`` says to stop.

    Pages are written one transaction each, together with the run's checkpoint; a run that
    stops early (preempted, or the process died) is continued from that checkpoint by the next
    run of its type. Store calls go to a worker thread so the event loop keeps serving.
    """

    def __init__(
        self,
        source: ErpSource,
        mirror: MirrorStore,
        runs: RunStore,
        clock: Clock,
        *,
        overlap: timedelta = timedelta(seconds=60),
        specs: Mapping[SyncType, RecordSpec] = SPECS,
    ) -> None:
        self._source = source
        self._mirror = mirror
        self._runs = runs
        self._clock = clock
        self._overlap = overlap
        self._specs = specs

    async def run(
        self,
        type: SyncType,
        mode: SyncMode = SyncMode.INCREMENTAL,
        *,
        trigger: str = "manual",
        should_yield: Callable[[], bool] = _never,
        on_page: ProgressListener = _ignore,
        resume: bool = True,
    ) -> SyncRun:
        """Sync ``type`` and return the run as it ended: completed, interrupted or failed.

        With ``resume`` (the default) an unfinished run of the type is continued from its
        checkpoint; without it a new run starts and the unfinished one waits its turn.
        """
        spec = self._specs[type]
        run = await self._begin(type, mode, trigger, resume=resume)
        try:
            return await self._pages(spec, run, should_yield, on_page)
        except Exception as exc:
            reason = str(exc) or exc.__class__.__name__
            return await asyncio.to_thread(
                self._runs.finish_run,
                run.id,
                RunStatus.FAILED,
                finished_at=self._clock.now(),
                error=reason,
            )

    async def _begin(
        self, type: SyncType, mode: SyncMode, trigger: str, *, resume: bool
    ) -> SyncRun:
        pending = await asyncio.to_thread(self._runs.resumable_run, type) if resume else None
        if pending is not None:
            if pending.continues_as(mode):
                return await asyncio.to_thread(self._runs.reopen_run, pending.id)
            await asyncio.to_thread(
                self._runs.finish_run,
                pending.id,
                RunStatus.FAILED,
                finished_at=self._clock.now(),
                error="superseded by a full sync",
            )
        watermark = await asyncio.to_thread(self._runs.watermark, type)
        if watermark is None:
            mode = SyncMode.FULL
        since = None if mode == SyncMode.FULL or watermark is None else watermark - self._overlap
        return await asyncio.to_thread(
            self._runs.start_run,
            type,
            mode,
            trigger=trigger,
            since=since,
            started_at=self._clock.now(),
        )

    async def _pages(
        self,
        spec: RecordSpec,
        run: SyncRun,
        should_yield: Callable[[], bool],
        on_page: ProgressListener,
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
                # The next page is fetched while this one is written, unless the run is about
                # to give way: then the page in flight is the last one this run writes.
                if page.next_cursor is not None and not should_yield():
                    ahead = asyncio.ensure_future(self._fetch(spec, run, page.next_cursor))
                checkpoint = await asyncio.to_thread(
                    self._write_page, spec, run, page, checkpoint, mark_seen=full
                )
                run = run.with_checkpoint(checkpoint)
                on_page(run)
                if page.next_cursor is None:
                    return await self._complete(spec, run)
                if ahead is None:
                    return await asyncio.to_thread(
                        self._runs.finish_run, run.id, RunStatus.INTERRUPTED, finished_at=None
                    )
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

    async def _complete(self, spec: RecordSpec, run: SyncRun) -> SyncRun:
        deleted = 0
        if run.mode == SyncMode.FULL:
            deleted = await asyncio.to_thread(self._mirror.sweep, spec, run.id, self._clock.now())
        mark = run.checkpoint.high_water_mark
        if mark is not None:
            current = await asyncio.to_thread(self._runs.watermark, spec.type)
            if current is None or mark > current:
                await asyncio.to_thread(self._runs.set_watermark, spec.type, mark)
        return await asyncio.to_thread(
            self._runs.finish_run,
            run.id,
            RunStatus.COMPLETED,
            finished_at=self._clock.now(),
            counts_delta_deleted=deleted,
        )
