"""The demo ERP's own errors, each a kind of erpsync's categories."""

from __future__ import annotations

from collections.abc import Mapping

from erpsync.domain.types import SyncType
from erpsync.errors import ConflictError, ErpSyncError, InvalidInputError, UnavailableError


class ApiError(ErpSyncError):
    """An error answered to the client with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class InvalidCursorError(InvalidInputError):
    """The cursor was not made by this ERP for this type."""


class InvalidFieldsError(InvalidInputError):
    """Fields sent to the admin API do not make a valid record of the type."""


class RecordExistsError(ConflictError):
    """A record with this key already exists."""

    def __init__(self, type: SyncType, key: str) -> None:
        super().__init__(f"{type.value} {key!r} already exists")
        self.type = type
        self.key = key


class SessionBusyError(UnavailableError):
    """Another request holds the ERP's only working session."""


class IdempotencyKeyReusedError(ConflictError):
    """An idempotency key came back with another body than the one it was first used with."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was used before with another order")
        self.key = key
