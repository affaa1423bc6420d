"""The open order forms, as the orchestrator sees them: their sessions (leases and the safety
timeout, see :mod:`erpsync.domain.sessions`) and the Smart Customer Syncs they wait for. Each
session step is logged here: opened, closed, expired, the safety timeout, syncs paused and
resumed."""

from __future__ import annotations

import asyncio
from datetime import datetime

from erpsync.domain.answers import FormState, SmartSyncResult
from erpsync.domain.commands import OpenForm
from erpsync.domain.dispatch import SyncOperation
from erpsync.domain.runs import SyncRun
from erpsync.domain.sessions import FormSessions, ResumeReason
from erpsync.ports import Clock
from erpsync.services.events import EventAction, EventBus
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.smart_sync import SmartSyncs
from erpsync.services.watchdog import within


class OrderForms:
    def __init__(self, config: OrchestratorConfig, clock: Clock, events: EventBus) -> None:
        self._sessions = FormSessions(
            lease_ttl=config.lease_ttl, safety_timeout=config.safety_timeout
        )
        self._timeout_s = int(config.safety_timeout.total_seconds())
        self._answer_within = config.smart_answer_within
        self._smart_mode = config.smart_sync_mode
        self._clock = clock
        self._events = events
        self.smart = SmartSyncs()

    @property
    def open_anywhere(self) -> bool:
        """At least one form is open: every sync but customers waits."""
        return self._sessions.paused

    @property
    def count(self) -> int:
        return self._sessions.count

    def state(self) -> FormState:
        return FormState(self._sessions.count, self._sessions.paused)

    def safety_deadline(self) -> datetime | None:
        return self._sessions.safety_deadline()

    def next_deadline(self) -> datetime | None:
        return self._sessions.next_deadline()

    def open(
        self, command: OpenForm, *, running: SyncOperation | None, waiting: int
    ) -> tuple[asyncio.Future[SmartSyncResult], datetime]:
        """Register a form (again), and give it the Smart Customer Sync it waits for.

        The first form pauses the syncs. The form gets a smart sync that starts after it
        opened (see :mod:`smart_sync`): a new one (a follow-up when one runs already), or the
        one asked for and not started yet, which it joins. Returns it with when it was asked.

        Raises:
            ForbiddenError: the session id is another user's.
        """
        now = self._clock.now()
        session_id = command.session_id
        was_paused = self._sessions.paused
        if self._sessions.open(session_id, now, owner=command.owner, instance=command.instance):
            self._emit(
                EventAction.SESSION_OPENED,
                session=session_id,
                owner=command.owner,
                sessions=self.count,
            )
        if not was_paused:
            self._emit(
                EventAction.SYNCS_PAUSED,
                sessions=self.count,
                running=None if running is None else running.type,
                waiting=waiting,
            )
        future, new = self.smart.ask(now)
        if new:
            follow_up = running is not None and running.smart
            self._emit(EventAction.SMART_SYNC_REQUESTED, session=session_id, follow_up=follow_up)
        else:
            self._emit(EventAction.SMART_SYNC_JOINED, session=session_id)
        return future, now

    async def smart_result(
        self, session_id: str, future: asyncio.Future[SmartSyncResult], asked_at: datetime
    ) -> SmartSyncResult:
        """How the smart sync ended, or, past ``smart_answer_within``, that it goes on in
        the background."""
        result = await within(self._clock, self._answer_within, asyncio.shield(future))
        if result is None:
            now = self._clock.now()
            result = SmartSyncResult.timed_out(asked_at, now, self._smart_mode)
            self._emit(
                EventAction.SMART_SYNC_TIMED_OUT,
                session=session_id,
                waited_s=round(result.duration_s, 3),
            )
        return result

    def smart_finished(self, run: SyncRun) -> None:
        """The running smart sync ended as ``run``: the forms waiting for it learn how."""
        result = self.smart.finish(run, self._clock.now())
        self._emit(
            EventAction.SMART_SYNC_COMPLETED,
            status=result.status,
            fetched=result.fetched,
            inserted=result.inserted,
            updated=result.updated,
            duration_s=round(result.duration_s, 3),
            sync_s=round(result.sync_s, 3),
        )

    def ping(self, session_id: str, *, owner: int, active: bool) -> bool:
        """A heartbeat; ``False`` for a session that is no longer open."""
        return self._sessions.ping(session_id, self._clock.now(), owner=owner, active=active)

    def close(self, session_id: str, *, owner: int, instance: str | None, waiting: int) -> bool:
        """End a session; ``False`` if it was not open, or the goodbye came from a page load
        that a reload replaced. Syncs resume with the last one."""
        closed = self._sessions.close(session_id, self._clock.now(), owner=owner, instance=instance)
        if closed:
            self._emit(
                EventAction.SESSION_CLOSED, session=session_id, owner=owner, sessions=self.count
            )
            if not self._sessions.paused:
                self._resumed(ResumeReason.LAST_FORM_CLOSED, waiting)
        return closed

    def expire(self, *, waiting: int) -> bool:
        """End the sessions whose lease ran out, or all of them at the safety timeout;
        ``True`` when that resumes the syncs."""
        now = self._clock.now()
        deadline = self._sessions.next_deadline()
        if deadline is None or now < deadline:  # nothing runs out yet (none open: nothing to)
            return False
        owners = {s.id: s.owner for s in self._sessions.sessions()}
        expired = self._sessions.expire(now)
        for session_id in expired.lease_expired:
            self._emit(EventAction.SESSION_EXPIRED, session=session_id, owner=owners[session_id])
        if expired.safety_timeout:
            self._emit(
                EventAction.SAFETY_TIMEOUT, dropped=len(expired.dropped), timeout_s=self._timeout_s
            )
        if expired.ended and not self._sessions.paused:
            self._resumed(expired.reason, waiting)
            return True
        return False

    def _resumed(self, reason: ResumeReason, waiting: int) -> None:
        self._emit(EventAction.SYNCS_RESUMED, reason=reason, waiting=waiting)

    def _emit(self, action: EventAction, **fields: object) -> None:
        self._events.emit(action, self._clock.now(), **fields)
