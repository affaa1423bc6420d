"""The wire format: every command, answer and snapshot survives its trip through JSON, and a
failure on the holder is raised again on the sender."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.codec import (
    COMMANDS,
    WIRE_VERSION,
    answer_type,
    decode,
    decode_command,
    decode_reply,
    encode,
    encode_failure,
    kind_of,
)
from erpsync.domain.answers import ScheduleChanged
from erpsync.domain.commands import ChangeSchedule, Command, OpenForm, RequestSync
from erpsync.domain.snapshot import Snapshot
from erpsync.domain.types import SyncType, TypeSchedule
from erpsync.errors import (
    ErpSyncError,
    InvalidCommandError,
    InvalidScheduleError,
    NotFoundError,
    OrchestratorUnavailableError,
    RecordNotFoundError,
    UnavailableError,
)

OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
st.register_type_strategy(
    datetime,
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=OFFSETS),
)
st.register_type_strategy(timedelta, st.timedeltas(-timedelta(days=3650), timedelta(days=3650)))
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))
st.register_type_strategy(str, st.text(st.characters(exclude_categories=("Cs",)), max_size=40))

RECORDS = [Snapshot, *COMMANDS, *dict.fromkeys(answer_type(c) for c in COMMANDS)]


def through_json(document: dict[str, Any]) -> Any:
    return json.loads(json.dumps(document))


@pytest.mark.parametrize("record_type", RECORDS, ids=lambda t: t.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_record_round_trips_through_json(record_type: type, data: st.DataObject) -> None:
    record = data.draw(st.from_type(record_type))
    document = through_json(encode(record))
    assert document["v"] == WIRE_VERSION
    assert document["kind"] == kind_of(record_type)
    assert decode(document, record_type) == record


@pytest.mark.parametrize("command_type", COMMANDS, ids=lambda t: t.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_a_command_and_its_answer_travel_as_the_holder_sees_them(
    command_type: type[Command[Any]], data: st.DataObject
) -> None:
    command = data.draw(st.from_type(command_type))
    assert decode_command(through_json(encode(command))) == command
    answer = data.draw(st.from_type(answer_type(command_type)))
    assert decode_reply(through_json(encode(answer)), command) == answer


def test_the_kind_of_a_record_is_its_name_in_snake_case() -> None:
    assert kind_of(RequestSync) == "request_sync"
    assert kind_of(ChangeSchedule) == "change_schedule"
    assert len({kind_of(t) for t in RECORDS}) == len(RECORDS), "no two records share a kind"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "must be a JSON object"),
        ({"kind": "request_sync"}, "wire version None"),
        ({"v": 99, "kind": "request_sync", "body": {}}, "wire version 99"),
        ({"v": WIRE_VERSION, "body": {}}, "needs a 'kind'"),
        ({"v": WIRE_VERSION, "kind": "reboot", "body": {}}, "unknown Command kind 'reboot'"),
        ({"v": WIRE_VERSION, "kind": "snapshot", "body": {}}, "unknown Command kind"),
        ({"v": WIRE_VERSION, "kind": "open_form", "body": {}}, "malformed open_form"),
        (
            {"v": WIRE_VERSION, "kind": "request_sync", "body": {"type": "widgets"}},
            "malformed request_sync: type",
        ),
    ],
)
def test_a_document_that_is_not_a_command_is_refused_with_why(document: Any, problem: str) -> None:
    with pytest.raises(InvalidCommandError, match=problem):
        decode_command(document)


def test_a_record_outside_the_wire_format_cannot_be_encoded() -> None:
    with pytest.raises(TypeError, match="no place in the wire format"):
        encode(TypeSchedule(SyncType.DDT, 4, timedelta(minutes=45), timedelta(0)))


@pytest.mark.parametrize(
    ("error", "raised", "message"),
    [
        (InvalidScheduleError("ddt: interval too short"), InvalidScheduleError, "too short"),
        (OrchestratorUnavailableError("gone"), OrchestratorUnavailableError, "gone"),
        (RecordNotFoundError("draft", "d-1"), NotFoundError, "draft 'd-1' not found"),
        (ValueError("boom"), ErpSyncError, "boom"),
        (RuntimeError(), ErpSyncError, "RuntimeError"),
    ],
)
def test_a_failure_on_the_holder_is_raised_again_on_the_sender(
    error: Exception, raised: type[Exception], message: str
) -> None:
    reply = through_json(encode_failure(error))
    with pytest.raises(raised, match=message) as caught:
        decode_reply(reply, OpenForm("tab-0000001", 1))
    if isinstance(error, ErpSyncError):
        assert isinstance(caught.value, ErpSyncError)
        assert caught.value.category == error.category


def test_a_failure_of_an_unknown_class_keeps_its_category() -> None:
    reply = {
        "v": WIRE_VERSION,
        "kind": "failure",
        "body": {"category": "unavailable", "error": "NewerError", "message": "later"},
    }
    with pytest.raises(UnavailableError, match="later"):
        decode_reply(reply, RequestSync(SyncType.ORDERS))


def test_an_answer_of_the_wrong_type_is_refused() -> None:
    entry = TypeSchedule(SyncType.DDT, 4, timedelta(minutes=45), timedelta(0))
    changed = encode(ScheduleChanged(entry))
    with pytest.raises(InvalidCommandError, match="unknown SyncRequested kind 'schedule_changed'"):
        decode_reply(changed, RequestSync(SyncType.ORDERS))
