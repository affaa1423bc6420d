"""The orchestrator's one wire format: commands, answers, failures and the snapshot as
versioned JSON documents.

Every document is ``{"v": WIRE_VERSION, "kind": <record kind>, "body": {...}}``; the kind is
the record's class name in snake case (``RequestSync`` → ``request_sync``) and the body its
fields, converted by pydantic (enums as their codes, times as ISO-8601). A reply is the
command's answer, or a failure carrying the error's category, class and message, raised again
on the side that sent the command. A new command is one more entry in :data:`COMMANDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, TypeVar, cast, get_args

from pydantic import TypeAdapter, ValidationError

from erpsync.domain.commands import (
    ChangeSchedule,
    CloseForm,
    Command,
    OpenForm,
    PingForm,
    RequestAll,
    RequestSync,
    SendOrders,
)
from erpsync.domain.snapshot import Snapshot
from erpsync.errors import (
    ConflictError,
    ErpSyncError,
    ErrorCategory,
    ForbiddenError,
    InvalidCommandError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from erpsync.ports import Document

WIRE_VERSION = 1
FAILURE = "failure"

#: Every command of the orchestrator; each names its answer's type (``Command[A]``).
COMMANDS: tuple[type[Command[Any]], ...] = (
    RequestSync,
    RequestAll,
    OpenForm,
    PingForm,
    CloseForm,
    ChangeSchedule,
    SendOrders,
)

R = TypeVar("R")
A = TypeVar("A")


def kind_of(record_type: type) -> str:
    """``RequestSync`` → ``request_sync``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", record_type.__name__).lower()


def answer_type(command_type: type[Command[Any]]) -> type:
    """The answer type a command class names in its base ``Command[A]``."""
    for base in getattr(command_type, "__orig_bases__", ()):
        args = get_args(base)
        if args and isinstance(args[0], type):
            return args[0]
    raise TypeError(f"{command_type.__name__} does not name its answer: Command[Answer]")


def _records() -> Iterator[type]:
    yield Snapshot
    for command_type in COMMANDS:
        yield command_type
        yield answer_type(command_type)


@cache
def _by_kind() -> dict[str, tuple[type, TypeAdapter[Any]]]:
    return {kind_of(t): (t, TypeAdapter(t)) for t in _records()}


def encode(record: object) -> Document:
    """A command, an answer or a snapshot as a document."""
    kind = kind_of(type(record))
    entry = _by_kind().get(kind)
    if entry is None or entry[0] is not type(record):
        raise TypeError(f"{type(record).__name__} has no place in the wire format")
    return {"v": WIRE_VERSION, "kind": kind, "body": entry[1].dump_python(record, mode="json")}


def _read(document: Any) -> tuple[str, Any]:
    if not isinstance(document, dict):
        raise InvalidCommandError("a wire document must be a JSON object")
    version = document.get("v")
    if version != WIRE_VERSION:
        raise InvalidCommandError(
            f"wire version {version!r} is not {WIRE_VERSION}: "
            "the replicas run different versions of erpsync"
        )
    kind = document.get("kind")
    if not isinstance(kind, str):
        raise InvalidCommandError("a wire document needs a 'kind'")
    return kind, document.get("body")


def decode(document: Any, expected: type[R]) -> R:
    """The record a document holds, which must be an ``expected``.

    Raises:
        InvalidCommandError: not a document of this version, or not an ``expected``.
    """
    kind, body = _read(document)
    entry = _by_kind().get(kind)
    if entry is None or not issubclass(entry[0], expected):
        raise InvalidCommandError(f"unknown {expected.__name__} kind {kind!r}")
    try:
        return cast(R, entry[1].validate_python(body))
    except ValidationError as exc:
        raise InvalidCommandError(f"malformed {kind}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "body"
    return f"{where}: {error['msg']}"


def decode_command(document: Any) -> Command[Any]:
    command: Command[Any] = decode(document, Command)
    return command


# -- replies --------------------------------------------------------------------------------


def encode_failure(exc: BaseException) -> Document:
    """A failure reply: what the sender raises instead of receiving an answer."""
    if isinstance(exc, ErpSyncError):
        category, name = exc.category, type(exc).__name__
    else:
        category, name = ErrorCategory.INTERNAL, "ErpSyncError"
    message = str(exc) or type(exc).__name__
    body = {"category": category.value, "error": name, "message": message}
    return {"v": WIRE_VERSION, "kind": FAILURE, "body": body}


def decode_reply(document: Any, command: Command[A]) -> A:
    """The answer to ``command`` in a reply.

    Raises:
        ErpSyncError: the failure the reply carries (the same class where it can be rebuilt
            from its message, else its category), or ``InvalidCommandError`` for a reply that
            cannot be read.
    """
    kind, body = _read(document)
    if kind == FAILURE:
        raise _failure(body)
    expected = answer_type(type(command))
    return cast(A, decode(document, expected))


_CATEGORY_ERRORS: dict[ErrorCategory, type[ErpSyncError]] = {
    ErrorCategory.NOT_FOUND: NotFoundError,
    ErrorCategory.CONFLICT: ConflictError,
    ErrorCategory.INVALID_INPUT: InvalidInputError,
    ErrorCategory.UNAVAILABLE: UnavailableError,
    ErrorCategory.FORBIDDEN: ForbiddenError,
    ErrorCategory.INTERNAL: ErpSyncError,
}


def _failure(body: Any) -> ErpSyncError:
    if not isinstance(body, dict):
        return InvalidCommandError("a failure reply without its reason")
    message = str(body.get("message", ""))
    try:
        category = ErrorCategory(str(body.get("category")))
    except ValueError:
        category = ErrorCategory.INTERNAL
    rebuilt = _message_only_errors().get(str(body.get("error")))
    if rebuilt is not None and rebuilt.category == category:
        return rebuilt(message)
    return _CATEGORY_ERRORS[category](message)


@cache
def _message_only_errors() -> dict[str, type[ErpSyncError]]:
    """Error classes made from their message alone (no ``__init__`` of their own)."""
    found: dict[str, type[ErpSyncError]] = {}
    pending: list[type[ErpSyncError]] = [ErpSyncError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        own_init = any("__init__" in k.__dict__ for k in cls.__mro__ if issubclass(k, ErpSyncError))
        if not own_init:
            found[cls.__name__] = cls
    return found
