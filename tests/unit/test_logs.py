"""Logs: coordination steps and warnings at INFO, as text or as one JSON object a line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from erpsync.domain.dispatch import WaitReason
from erpsync.domain.types import SyncType
from erpsync.logs import CHATTY, JsonLines, configure_logging
from erpsync.services.events import EventAction, EventBus

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, previous in chatty.items():
        logging.getLogger(name).setLevel(previous)


def test_a_coordination_step_is_one_json_object_with_the_fields_of_its_text_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="erpsync.coordination")
    EventBus().emit(
        EventAction.SYNC_QUEUED,
        AT,
        type=SyncType.PRICES,
        position=3,
        reason=WaitReason.BEHIND_RUNNING,
        behind=SyncType.ORDERS,
        stopping=None,
    )
    [record] = caplog.records
    assert record.getMessage() == (
        "action=sync_queued type=prices position=3 reason=behind_running behind=orders"
    )
    entry = json.loads(JsonLines().format(record))
    assert {k: v for k, v in entry.items() if k not in ("time", "logger")} == {
        "level": "INFO",
        "action": "sync_queued",
        "type": "prices",
        "position": 3,
        "reason": "behind_running",
        "behind": "orders",
    }
    assert entry["logger"] == "erpsync.coordination"


def test_any_other_record_is_an_object_with_its_message() -> None:
    record = logging.LogRecord("erpsync.web", logging.WARNING, "x.py", 1, "slow %s", ("me",), None)
    entry = json.loads(JsonLines().format(record))
    assert (entry["level"], entry["message"]) == ("WARNING", "slow me")


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "chatty"), [("INFO", logging.WARNING), ("DEBUG", logging.DEBUG)])
def test_every_http_request_and_heartbeat_is_a_line_at_debug_only(level: str, chatty: int) -> None:
    logging.getLogger().handlers[:] = []
    configure_logging(level, "json")
    [handler] = logging.getLogger().handlers
    assert isinstance(handler.formatter, JsonLines)
    assert {logging.getLogger(name).level for name in CHATTY} == {chatty}
