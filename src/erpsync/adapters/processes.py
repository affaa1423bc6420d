"""Telling whether the process that holds the orchestrator role is still there.

A holder's name is ``host:pid:random``. On the same host, a pid that no longer exists is a
certainly dead holder, taken over at once; on another host nothing is certain, and the role
passes only when its lease runs out.
"""

from __future__ import annotations

import os
import socket
import uuid


class LocalProcesses:
    """:class:`~erpsync.ports.ProcessProbe` for processes on this host."""

    def __init__(self) -> None:
        self._name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def name(self) -> str:
        return self._name

    def gone(self, holder: str) -> bool:
        host, _, rest = holder.partition(":")
        pid_text = rest.partition(":")[0]
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
