"""The exceptions erpsync raises; every one derives from :class:`ErpSyncError`."""


class ErpSyncError(Exception):
    """Base of every error erpsync raises on purpose."""


class ConfigurationError(ErpSyncError):
    """A setting is missing or invalid; start-up stops with this message."""


class ErpUnavailableError(ErpSyncError):
    """The ERP could not be reached or kept failing after the retries."""


class ErpProtocolError(ErpSyncError):
    """The ERP answered with something that does not follow the source contract."""


class UnknownSyncTypeError(ErpSyncError, LookupError):
    """No sync type has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown sync type {name!r}")
        self.name = name


class RecordNotFoundError(ErpSyncError, LookupError):
    """A record looked up by id does not exist (or is not visible to the caller)."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id!r} not found")
        self.kind = kind
        self.record_id = record_id
