from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.domain.sessions import (
    DEFAULT_LEASE_TTL,
    DEFAULT_SAFETY_TIMEOUT,
    Expired,
    FormSession,
    FormSessions,
)
from erpsync.errors import ConfigurationError, ForbiddenError

T = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=45)
SAFETY = timedelta(minutes=10)


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


@pytest.fixture
def sessions() -> FormSessions:
    return FormSessions(lease_ttl=LEASE, safety_timeout=SAFETY)


def test_nothing_is_paused_without_forms(sessions: FormSessions) -> None:
    assert sessions.count == 0
    assert not sessions.paused
    assert sessions.active_ids == ()
    assert sessions.safety_deadline() is None
    assert sessions.lease_deadline() is None
    assert sessions.next_deadline() is None
    assert sessions.expire(at(10_000)) == Expired()


def test_the_defaults_are_the_approved_durations() -> None:
    sessions = FormSessions()

    assert (sessions.lease_ttl, sessions.safety_timeout) == (DEFAULT_LEASE_TTL, SAFETY)
    assert DEFAULT_SAFETY_TIMEOUT == SAFETY


def test_opening_a_form_pauses(sessions: FormSessions) -> None:
    assert sessions.open("tab-1", T) is True

    assert sessions.paused
    assert sessions.count == 1
    assert "tab-1" in sessions
    assert sessions.sessions() == (FormSession("tab-1", 0, None, T, T + LEASE),)


def test_registering_the_same_tab_twice_counts_once(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)

    assert sessions.open("tab-1", at(5)) is False
    assert sessions.count == 1
    assert sessions.sessions() == (FormSession("tab-1", 0, None, T, at(5) + LEASE),)


def test_two_tabs_count_twice_and_resume_only_when_both_close(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    sessions.open("tab-2", at(1))
    assert (sessions.count, sessions.active_ids) == (2, ("tab-1", "tab-2"))

    assert sessions.close("tab-1", at(2)) is True
    assert (sessions.count, sessions.paused) == (1, True)

    assert sessions.close("tab-2", at(3)) is True
    assert (sessions.count, sessions.paused) == (0, False)
    assert sessions.safety_deadline() is None


def test_closing_an_unknown_session_is_a_no_op(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)

    assert sessions.close("tab-9", at(1)) is False
    assert sessions.close("tab-1", at(1)) is True
    assert sessions.close("tab-1", at(1)) is False  # the unload beacon after "Fatto"


def test_a_closed_tab_registers_again_as_new(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    sessions.close("tab-1", at(1))

    assert sessions.open("tab-1", at(2)) is True
    assert sessions.sessions()[0].opened_at == at(2)


def test_a_heartbeat_extends_the_lease(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    for second in range(30, 300, 30):
        assert sessions.ping("tab-1", at(second)) is True
        assert sessions.expire(at(second + 1)) == Expired()

    assert sessions.lease_deadline() == at(270) + LEASE
    assert sessions.count == 1


def test_a_heartbeat_from_an_unknown_session_changes_nothing(sessions: FormSessions) -> None:
    assert sessions.ping("ghost", T, active=True) is False
    assert sessions.count == 0
    assert sessions.last_activity is None


def test_a_silent_tab_expires_when_its_lease_runs_out(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    sessions.open("tab-2", at(20))

    assert sessions.expire(at(44.9)) == Expired()
    assert sessions.expire(at(45)) == Expired(lease_expired=("tab-1",))
    assert sessions.active_ids == ("tab-2",)
    assert sessions.expire(at(65)) == Expired(lease_expired=("tab-2",))
    assert not sessions.paused
    assert sessions.last_activity is None


def test_heartbeats_alone_do_not_hold_off_the_safety_timeout(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    for second in range(30, 600, 30):
        sessions.ping("tab-1", at(second))
        assert not sessions.expire(at(second)).safety_timeout

    expired = sessions.expire(at(600))

    assert expired == Expired(safety_timeout=True, dropped=("tab-1",))
    assert expired.ended == ("tab-1",)
    assert sessions.count == 0
    assert not sessions.paused


def test_user_activity_resets_the_safety_timeout(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    sessions.ping("tab-1", at(30), active=True)

    assert sessions.safety_deadline() == at(30) + SAFETY
    assert sessions.last_activity == at(30)


def test_activity_on_any_form_counts_for_all(sessions: FormSessions) -> None:
    sessions.open("idle", T)
    sessions.open("busy", at(100))
    sessions.ping("idle", at(590))
    sessions.ping("busy", at(590), active=True)

    assert sessions.expire(at(600)) == Expired()
    assert sessions.safety_deadline() == at(590) + SAFETY


def test_reopening_and_closing_count_as_activity(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    sessions.open("tab-2", T)
    sessions.open("tab-1", at(100))
    assert sessions.safety_deadline() == at(100) + SAFETY

    sessions.close("tab-2", at(200))
    assert sessions.safety_deadline() == at(200) + SAFETY


def test_after_the_safety_timeout_a_form_registers_again(sessions: FormSessions) -> None:
    sessions.open("tab-1", T)
    sessions.ping("tab-1", at(590))
    sessions.expire(at(600))

    assert sessions.ping("tab-1", at(610), active=True) is False
    assert not sessions.paused
    assert sessions.open("tab-1", at(620)) is True
    assert sessions.paused
    assert sessions.safety_deadline() == at(620) + SAFETY


def test_a_session_ended_by_its_lease_is_not_also_dropped(sessions: FormSessions) -> None:
    sessions.open("gone", T)
    sessions.open("idle", T)
    for second in range(30, 600, 30):
        sessions.ping("idle", at(second))

    expired = sessions.expire(at(600))

    assert expired == Expired(lease_expired=("gone",), safety_timeout=True, dropped=("idle",))
    assert expired.ended == ("gone", "idle")


def test_the_safety_timeout_does_not_fire_when_every_lease_ran_out(
    sessions: FormSessions,
) -> None:
    sessions.open("tab-1", T)

    assert sessions.expire(at(3600)) == Expired(lease_expired=("tab-1",))


def test_next_deadline_is_the_earlier_of_lease_and_safety() -> None:
    sessions = FormSessions(lease_ttl=timedelta(seconds=45), safety_timeout=timedelta(seconds=5))
    sessions.open("tab-1", T)
    assert sessions.next_deadline() == at(5)

    sessions.ping("tab-1", at(4), active=True)
    sessions.open("tab-2", at(4))
    assert sessions.lease_deadline() == at(49)
    assert sessions.next_deadline() == at(9)


@pytest.mark.parametrize(
    ("lease", "safety"),
    [(timedelta(0), SAFETY), (LEASE, timedelta(0)), (-LEASE, SAFETY)],
)
def test_durations_must_be_positive(lease: timedelta, safety: timedelta) -> None:
    with pytest.raises(ConfigurationError, match="must be positive"):
        FormSessions(lease_ttl=lease, safety_timeout=safety)


def test_a_session_belongs_to_the_user_who_opened_it() -> None:
    sessions = FormSessions(LEASE, SAFETY)
    sessions.open("tab-1", T, owner=7)
    for attempt in (
        lambda: sessions.open("tab-1", at(1), owner=8),
        lambda: sessions.ping("tab-1", at(1), owner=8),
        lambda: sessions.close("tab-1", at(1), owner=8),
    ):
        with pytest.raises(ForbiddenError):
            attempt()
    assert sessions.count == 1
    assert sessions.ping("tab-1", at(2), owner=7)
    assert sessions.close("tab-1", at(3), owner=7)


def test_the_late_goodbye_of_a_reloaded_page_leaves_the_new_page_open() -> None:
    sessions = FormSessions(LEASE, SAFETY)
    sessions.open("tab-1", T, owner=7, instance="page-load-1")
    assert not sessions.open("tab-1", at(1), owner=7, instance="page-load-2"), "the same tab"
    assert not sessions.close("tab-1", at(2), owner=7, instance="page-load-1")
    assert sessions.count == 1, "the old page's beacon came after the new page registered"
    assert sessions.close("tab-1", at(3), owner=7, instance="page-load-2")
    assert sessions.count == 0


def test_a_goodbye_that_names_no_page_load_closes_the_session() -> None:
    sessions = FormSessions(LEASE, SAFETY)
    sessions.open("tab-1", T, owner=7, instance="page-load-1")
    assert sessions.close("tab-1", at(1), owner=7)


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["open", "ping", "close", "expire", "deadline"]),
        st.integers(0, 2),  # which tab
        st.integers(0, 30),  # seconds that pass first
    ),
    max_size=150,
)


@settings(max_examples=300, deadline=None)
@given(_STEPS)
def test_the_first_lease_is_found_as_a_look_at_every_form_would_find_it(
    steps: list[tuple[str, int, int]],
) -> None:
    """The sessions keep their leases in a heap with stale entries (heartbeats, closes, reopened
    tabs); what expires, and when the first lease runs out, is what a scan of the open forms
    finds."""
    sessions = FormSessions(lease_ttl=timedelta(seconds=45), safety_timeout=timedelta(hours=9))
    now = T
    for action, tab, seconds in steps:
        now += timedelta(seconds=seconds)
        session_id = f"tab-{tab}"
        leases = {s.id: s.lease_until for s in sessions.sessions()}
        if action == "open":
            sessions.open(session_id, now)
        elif action == "ping":
            sessions.ping(session_id, now)
        elif action == "close":
            sessions.close(session_id, now)
        elif action == "expire":
            ran_out = tuple(sid for sid, until in leases.items() if now >= until)
            assert sessions.expire(now).lease_expired == ran_out
        else:  # looked at now and then only, so stale leases pile up in between
            assert sessions.lease_deadline() == min(leases.values(), default=None)
    leases = {s.id: s.lease_until for s in sessions.sessions()}
    assert sessions.lease_deadline() == min(leases.values(), default=None)


def test_a_tab_heartbeating_for_hours_keeps_one_lease_that_counts() -> None:
    """Each heartbeat leaves the lease it replaced behind; they are dropped in bulk when they
    pile up, and never the current one."""
    sessions = FormSessions(lease_ttl=LEASE, safety_timeout=timedelta(hours=9))
    sessions.open("tab", at(0))
    sessions.open("other", at(0))
    for second in range(1, 3600, 15):
        sessions.ping("tab", at(second))
        sessions.ping("other", at(second))
    last = at(3586)
    assert sessions.lease_deadline() == last + LEASE
    assert sessions.expire(last + LEASE - timedelta(seconds=1)).lease_expired == ()
    assert sessions.expire(last + LEASE).lease_expired == ("tab", "other")
