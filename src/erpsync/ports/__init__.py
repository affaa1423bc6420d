"""Every boundary of erpsync as a Protocol; each docstring is the contract an adapter keeps.

The ports are grouped by side (:mod:`.sync`, :mod:`.agents`, :mod:`.orders`,
:mod:`.cluster`) and all importable from here."""

from erpsync.ports.agents import (
    DraftStore,
    LoginFailures,
    MirrorBook,
    MirrorSearch,
    MirrorSlices,
    UserStore,
)
from erpsync.ports.clock import Clock
from erpsync.ports.cluster import (
    CommandQueue,
    Document,
    Fence,
    Lease,
    LeaseStore,
    LiveStateStore,
    ProcessProbe,
    StoredCommand,
)
from erpsync.ports.orders import ErpWriter, SubmissionStore
from erpsync.ports.sync import (
    ErpSource,
    HashLookup,
    MirrorStore,
    PageWrite,
    Quarantined,
    RunObserver,
    RunStore,
    ScheduleStore,
    SourcePage,
    SyncEngine,
    SyncJob,
)

__all__ = [
    "Clock",
    "CommandQueue",
    "Document",
    "DraftStore",
    "ErpSource",
    "ErpWriter",
    "Fence",
    "HashLookup",
    "Lease",
    "LeaseStore",
    "LiveStateStore",
    "LoginFailures",
    "MirrorBook",
    "MirrorSearch",
    "MirrorSlices",
    "MirrorStore",
    "PageWrite",
    "ProcessProbe",
    "Quarantined",
    "RunObserver",
    "RunStore",
    "ScheduleStore",
    "SourcePage",
    "StoredCommand",
    "SubmissionStore",
    "SyncEngine",
    "SyncJob",
    "UserStore",
]
