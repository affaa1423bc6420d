"""Order-form sessions as leases, and the safety timeout (SPEC §2.5, 2.7–2.9).

While at least one session is open, every sync but ``customers`` is paused. Two clocks run per
deployment:

* the **lease** of each session proves its tab is alive. Every heartbeat extends it by
  ``lease_ttl``; a tab that vanished without saying goodbye (crash, lost network) stops
  heartbeating and its session expires.
* the **safety timeout** guards against a tab that is alive but abandoned. Only user activity
  (typing, clicking, opening or closing a form) resets it; heartbeats do not. When no form has
  shown activity for ``safety_timeout``, every session is dropped and syncs resume even though
  a tab may still be open.

After a drop the forgotten tab learns it on its next heartbeat (:meth:`FormSessions.ping`
answers ``False``). It must not re-register on that heartbeat, or the timeout would never hold;
it registers again with :meth:`FormSessions.open` at its next user activity, which is accepted
like any new session.

A session belongs to the user who opened it: nobody else may register, ping or close it. Each
load of the form's page has an *instance* of its own; a reload registers the same tab id with
a new instance, so the goodbye of the page that was replaced, arriving late, is told apart
from the new page's and ignored.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from erpsync.errors import ConfigurationError, ForbiddenError

DEFAULT_LEASE_TTL = timedelta(seconds=45)
DEFAULT_SAFETY_TIMEOUT = timedelta(minutes=10)
#: How many leases a session may have in the heap before the stale ones are dropped at once.
_STALE_LEASES = 8


class ResumeReason(StrEnum):
    """Why syncs resumed: no order form is left open."""

    LAST_FORM_CLOSED = "last_form_closed"
    LEASES_EXPIRED = "leases_expired"
    SAFETY_TIMEOUT = "safety_timeout"


@dataclass(frozen=True)
class FormSession:
    """One open order form (one browser tab).

    Attributes:
        id: The id the tab chose for itself; stable across retries and reloads of the tab.
        owner: The user who opened it.
        instance: The page load that registered it last (``None`` if it did not say).
        opened_at: When it was first registered.
        lease_until: When it expires unless a heartbeat comes first.
    """

    id: str
    owner: int
    instance: str | None
    opened_at: datetime
    lease_until: datetime


@dataclass(frozen=True)
class Expired:
    """What :meth:`FormSessions.expire` ended.

    Attributes:
        lease_expired: Sessions whose lease ran out, in opening order.
        safety_timeout: Whether the safety timeout fired.
        dropped: Sessions the safety timeout dropped (empty when it did not fire).
    """

    lease_expired: tuple[str, ...] = ()
    safety_timeout: bool = False
    dropped: tuple[str, ...] = ()

    @property
    def ended(self) -> tuple[str, ...]:
        """Every session ended, whatever the cause."""
        return self.lease_expired + self.dropped

    @property
    def reason(self) -> ResumeReason:
        """Why the sessions ended, if that leaves none open."""
        return ResumeReason.SAFETY_TIMEOUT if self.safety_timeout else ResumeReason.LEASES_EXPIRED


class FormSessions:
    """The open order forms across the deployment, counted once per tab.

    Invariants: one entry per session id, however often it registers; the safety deadline
    exists exactly while a session is open; with no session open nothing is paused.

    Args:
        lease_ttl: How long a session lives after its last heartbeat (or open).
        safety_timeout: How long all forms may go without user activity before every session
            is dropped.

    Raises:
        ConfigurationError: a duration is not positive.
    """

    def __init__(
        self,
        lease_ttl: timedelta = DEFAULT_LEASE_TTL,
        safety_timeout: timedelta = DEFAULT_SAFETY_TIMEOUT,
    ) -> None:
        if lease_ttl <= timedelta(0) or safety_timeout <= timedelta(0):
            raise ConfigurationError(
                f"session lease ({lease_ttl}) and safety timeout ({safety_timeout}) "
                "must be positive"
            )
        self.lease_ttl = lease_ttl
        self.safety_timeout = safety_timeout
        self._sessions: dict[str, FormSession] = {}
        self._last_activity: datetime | None = None
        #: Every lease given, earliest first: the sessions' current ones, and the ones a
        #: heartbeat or a close made stale (dropped as they come to the top). The first lease
        #: to run out is then found without a look at every open form, which each command of
        #: a busy sales force would otherwise pay for.
        self._leases: list[tuple[datetime, str]] = []

    @property
    def count(self) -> int:
        return len(self._sessions)

    @property
    def paused(self) -> bool:
        """Whether non-customer syncs must wait: at least one form is open."""
        return bool(self._sessions)

    @property
    def active_ids(self) -> tuple[str, ...]:
        """Open session ids in opening order."""
        return tuple(self._sessions)

    @property
    def last_activity(self) -> datetime | None:
        """The last user activity on any open form; ``None`` when none is open."""
        return self._last_activity

    def sessions(self) -> tuple[FormSession, ...]:
        """The open sessions in opening order."""
        return tuple(self._sessions.values())

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._sessions

    def _own(self, session_id: str, owner: int) -> FormSession | None:
        current = self._sessions.get(session_id)
        if current is not None and current.owner != owner:
            raise ForbiddenError("this order form session belongs to another user")
        return current

    def open(
        self, session_id: str, now: datetime, *, owner: int = 0, instance: str | None = None
    ) -> bool:
        """Register a tab's form, or refresh it if already registered (a reload, a retry).

        Opening counts as user activity and starts or extends the lease; the page load that
        registers it is the session's instance from now on.

        Returns:
            ``True`` if the session is new, ``False`` if it was already open.

        Raises:
            ForbiddenError: another user's session has this id.
        """
        current = self._own(session_id, owner)
        opened_at = now if current is None else current.opened_at
        self._sessions[session_id] = FormSession(
            session_id, owner, instance, opened_at, self._lease(session_id, now)
        )
        self._last_activity = now
        return current is None

    def _lease(self, session_id: str, now: datetime) -> datetime:
        if len(self._leases) > _STALE_LEASES * (len(self._sessions) + 1):
            # heartbeats outran the looks at the first lease: keep the current ones only
            self._leases = [lease for lease in self._leases if self._current(lease)]
            heapq.heapify(self._leases)
        until = now + self.lease_ttl
        heapq.heappush(self._leases, (until, session_id))
        return until

    def _current(self, lease: tuple[datetime, str]) -> bool:
        """Whether ``lease`` is its session's lease now (not one a heartbeat replaced, nor a
        closed session's)."""
        until, session_id = lease
        session = self._sessions.get(session_id)
        return session is not None and session.lease_until == until

    def ping(self, session_id: str, now: datetime, *, owner: int = 0, active: bool = False) -> bool:
        """A heartbeat from an open form: extends its lease.

        Args:
            session_id: The tab's session id.
            now: When the heartbeat arrived.
            active: The user typed or clicked since the last heartbeat; resets the safety
                timeout as well.

        Returns:
            ``False`` if the session is unknown (closed, expired or dropped); nothing changes
            then, and the tab registers again with :meth:`open` on its next user activity.

        Raises:
            ForbiddenError: the session is another user's.
        """
        current = self._own(session_id, owner)
        if current is None:
            return False
        self._sessions[session_id] = replace(current, lease_until=self._lease(session_id, now))
        if active:
            self._last_activity = now
        return True

    def close(
        self, session_id: str, now: datetime, *, owner: int = 0, instance: str | None = None
    ) -> bool:
        """End a session: the tab left, reloaded or closed, or the user pressed "Fatto".

        Closing is user activity for the forms still open. Closing an unknown id (a second
        unload beacon, a session already expired) is a no-op, and so is the goodbye of a page
        load that is no longer the session's instance (the page that a reload replaced).

        Returns:
            ``True`` if the session was open and is closed now.

        Raises:
            ForbiddenError: the session is another user's.
        """
        current = self._own(session_id, owner)
        if current is None:
            return False
        if instance is not None and current.instance is not None and instance != current.instance:
            return False
        del self._sessions[session_id]
        self._last_activity = now if self._sessions else None
        if not self._sessions:
            self._leases.clear()
        return True

    def expire(self, now: datetime) -> Expired:
        """End what has run out at ``now``: leases first, then the safety timeout.

        A lease runs out when ``now >= lease_until``. The safety timeout fires when sessions
        remain after that and ``now >=`` :meth:`safety_deadline`; it drops all of them. A
        session ended by its lease is never also reported as dropped.
        """
        ran_out = set()
        leases = self._leases
        while leases and now >= leases[0][0]:
            lease = heapq.heappop(leases)
            if self._current(lease):
                ran_out.add(lease[1])
        lease_expired = tuple(sid for sid in self._sessions if sid in ran_out) if ran_out else ()
        for session_id in lease_expired:
            del self._sessions[session_id]
        deadline = self.safety_deadline()
        dropped: tuple[str, ...] = ()
        if deadline is not None and now >= deadline:
            dropped = self.active_ids
            self._sessions.clear()
        if not self._sessions:
            self._last_activity = None
            self._leases.clear()
        return Expired(lease_expired, bool(dropped), dropped)

    def safety_deadline(self) -> datetime | None:
        """When the safety timeout fires unless activity comes first; ``None`` if no form is
        open (the timer only runs while syncs are paused)."""
        if self._last_activity is None or not self._sessions:
            return None
        return self._last_activity + self.safety_timeout

    def lease_deadline(self) -> datetime | None:
        """When the first lease runs out unless heartbeats come first; ``None`` if none open."""
        leases = self._leases
        while leases and not self._current(leases[0]):
            heapq.heappop(leases)
        return leases[0][0] if leases else None

    def next_deadline(self) -> datetime | None:
        """When :meth:`expire` next has something to do: the earlier of the two deadlines."""
        deadlines = [d for d in (self.lease_deadline(), self.safety_deadline()) if d is not None]
        return min(deadlines, default=None)
