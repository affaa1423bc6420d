"""The coordination events: log lines and the live feed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from erpsync.domain.dispatch import WaitReason
from erpsync.domain.types import SyncType
from erpsync.services.events import EventAction, EventBus, format_fields

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_each_step_is_one_structured_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="erpsync.coordination")
    bus = EventBus()
    bus.emit(EventAction.SYNC_QUEUED, AT, type="prices", position=3, reason="waiting for orders")
    bus.emit(EventAction.SYNC_FAILED, AT, type="ddt", reason="ERP answered 503")
    bus.emit(EventAction.SYNC_PROGRESS, AT, type="ddt", pages=2)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("INFO", "action=sync_queued type=prices position=3 reason='waiting for orders'"),
        ("WARNING", "action=sync_failed type=ddt reason='ERP answered 503'"),
        ("DEBUG", "action=sync_progress type=ddt pages=2"),
    ]


def test_empty_values_are_left_out_and_blank_ones_quoted() -> None:
    assert format_fields({"a": None, "b": "", "c": 1}) == "b='' c=1"


async def test_a_subscriber_that_falls_behind_is_told_to_reload() -> None:
    bus = EventBus(buffer=2)
    async with bus.subscribe() as queue:
        for n in range(3):
            bus.emit(EventAction.SYNC_REQUESTED, AT, n=n)
        first, second = queue.get_nowait(), queue.get_nowait()
    assert first.action == "sync_requested"
    assert first.fields == {"n": 1}
    assert second.action == "resync"


def test_enum_fields_log_as_their_codes() -> None:
    assert format_fields({"reason": WaitReason.FORMS_OPEN, "type": SyncType.DDT}) == (
        "reason=forms_open type=ddt"
    )


def test_every_step_has_a_level_and_the_run_steps_are_named() -> None:
    assert EventAction.SAFETY_TIMEOUT.level == logging.WARNING
    assert EventAction.SESSION_OPENED.level == logging.INFO
    assert EventAction.RESYNC.level == logging.DEBUG
    assert {a for a in EventAction if a.changes_runs} >= {
        EventAction.SYNC_STARTED,
        EventAction.SYNC_COMPLETED,
        EventAction.SYNC_FAILED,
    }
    assert not EventAction.SESSION_OPENED.changes_runs
