"""Every exception erpsync raises on purpose, in one hierarchy.

A few category bases say what kind of trouble it is (not found, conflict, invalid input,
unavailable, forbidden); the web maps each category to its status code in one place, and a
replica that carried out a command for another hands the category back with the message.
:class:`ErrorKind` says what made a sync run fail, for the run history and for health.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCategory(StrEnum):
    """What kind of trouble an error is, as far as the one who asked is concerned."""

    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID_INPUT = "invalid_input"
    UNAVAILABLE = "unavailable"
    FORBIDDEN = "forbidden"
    #: Something that should not happen: the caller cannot do better by asking again.
    INTERNAL = "internal"


class ErrorKind(StrEnum):
    """Why a sync run failed."""

    ERP_UNAVAILABLE = "erp_unavailable"
    ERP_PROTOCOL = "erp_protocol"
    TIMED_OUT = "timed_out"
    SUPERSEDED = "superseded"
    LOST_ROLE = "lost_role"
    INTERNAL = "internal"

    @property
    def erp_unreachable(self) -> bool:
        """The ERP could not be used at all: it did not answer, or not by the contract."""
        return self in (ErrorKind.ERP_UNAVAILABLE, ErrorKind.ERP_PROTOCOL)


class ErpSyncError(Exception):
    """Base of every error erpsync raises on purpose."""

    category: ClassVar[ErrorCategory] = ErrorCategory.INTERNAL
    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL


def error_kind(exc: BaseException) -> ErrorKind:
    """The kind of a failure, for any exception."""
    return exc.kind if isinstance(exc, ErpSyncError) else ErrorKind.INTERNAL


# -- the categories -------------------------------------------------------------------------


class NotFoundError(ErpSyncError, LookupError):
    """What was asked for does not exist, or is not visible to the one who asked."""

    category = ErrorCategory.NOT_FOUND


class ConflictError(ErpSyncError):
    """The request clashes with what is already there."""

    category = ErrorCategory.CONFLICT


class InvalidInputError(ErpSyncError, ValueError):
    """The input breaks a rule; the message says which value and why."""

    category = ErrorCategory.INVALID_INPUT


class UnavailableError(ErpSyncError):
    """Something needed is not answering now; asking again later may work."""

    category = ErrorCategory.UNAVAILABLE


class ForbiddenError(ErpSyncError):
    """The one who asked may not do this."""

    category = ErrorCategory.FORBIDDEN


# -- start-up -------------------------------------------------------------------------------


class ConfigurationError(ErpSyncError):
    """A setting is missing or invalid; start-up stops with this message."""


# -- the ERP --------------------------------------------------------------------------------


class ErpUnavailableError(UnavailableError):
    """The ERP could not be reached or kept failing after the retries."""

    kind = ErrorKind.ERP_UNAVAILABLE


class ErpProtocolError(UnavailableError):
    """The ERP answered with something that does not follow the source contract."""

    kind = ErrorKind.ERP_PROTOCOL


class IdempotencyConflictError(ErpSyncError):
    """The ERP holds a different order under an idempotency key erpsync sent: a key was reused
    for another body, which erpsync never does on purpose. Final, never retried."""


class InvalidRecordError(InvalidInputError):
    """An ERP item that cannot be mirrored; the reason says which field and why."""


# -- the orchestrator -----------------------------------------------------------------------


class UnknownSyncTypeError(NotFoundError):
    """No sync type has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown sync type {name!r}")
        self.name = name


class InvalidScheduleError(InvalidInputError):
    """A schedule entry or anchor breaks the limits; the message says which value and why."""


class InvalidTransitionError(ErpSyncError):
    """A submission was asked to move to a state its rules do not allow from where it is."""


class InvalidCommandError(InvalidInputError):
    """A command from another replica could not be read (malformed, or from another version)."""


class OrchestratorUnavailableError(UnavailableError):
    """No process answered for the orchestrator in time."""


class LostRoleError(ErpSyncError):
    """This process no longer holds the orchestrator role: its writes must not land."""

    kind = ErrorKind.LOST_ROLE


# -- records, users and drafts --------------------------------------------------------------


class RecordNotFoundError(NotFoundError):
    """A record looked up by id does not exist (or is not visible to the caller)."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id!r} not found")
        self.record_kind = kind
        self.record_id = record_id


class InvalidUserError(InvalidInputError):
    """A user's name, password or agent code is not acceptable."""


class UserExistsError(ConflictError):
    """A user with this name already exists."""

    def __init__(self, name: str) -> None:
        super().__init__(f"user {name!r} already exists")
        self.name = name


class InvalidDraftError(InvalidInputError):
    """A draft that cannot be saved; the message says which part and why."""


class DraftConflictError(ConflictError):
    """The draft id is already taken by someone else's draft."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(f"draft id {draft_id!r} is already in use")
        self.draft_id = draft_id


class DraftLockedError(ConflictError):
    """The draft is on its way to the ERP, or an ERP order already: it can no longer change."""


class DraftRevisionError(ConflictError):
    """The draft was changed since the revision a save was made from (on another device, or
    in another tab): the save would overwrite that change, so nothing is saved."""

    def __init__(self, draft_id: str, base: int, current: int) -> None:
        super().__init__(
            f"draft {draft_id!r} changed since revision {base}: it is at revision {current}"
        )
        self.draft_id = draft_id
        self.base = base
        self.current = current


class OrderRefusedError(ConflictError):
    """The ERP refused this draft as it is: sending it unchanged would be refused again."""


class DraftChangedError(ConflictError):
    """The draft changed while it was being sent: what was sent would not be what it shows."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(
            f"draft {draft_id!r} changed while it was being sent; look at it again and send it"
        )
        self.draft_id = draft_id
