"""How the web layer and the CLI command the orchestrator, wherever it runs.

Two transports carry the same commands to the same :meth:`Orchestrator.handle`:
:class:`LocalControl` calls it in this process; :class:`RemoteControl` writes the command to
the command table for the process that holds the orchestrator role, which runs it with
:func:`serve_command`, and waits for the reply. Both read the orchestrator's snapshot: its own,
or the copy the holder publishes.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, TypeVar

from erpsync.codec import decode, decode_command, decode_reply, encode, encode_failure, kind_of
from erpsync.domain.commands import Command
from erpsync.domain.snapshot import Snapshot
from erpsync.errors import OrchestratorUnavailableError
from erpsync.ports import Clock, CommandQueue, Document, LiveStateStore
from erpsync.services.orchestrator import Orchestrator

A = TypeVar("A")


class Control(Protocol):
    async def handle(self, command: Command[A]) -> A:
        """The orchestrator's answer to ``command``; raises what the orchestrator raised.

        Raises:
            OrchestratorUnavailableError: no orchestrator answered in time.
        """

    async def snapshot(self) -> Snapshot:
        """What the orchestrator is doing now.

        Raises:
            OrchestratorUnavailableError: no orchestrator has said yet.
        """


class LocalControl:
    """The orchestrator in this process."""

    def __init__(self, orchestrator: Orchestrator) -> None:
        self.orchestrator = orchestrator

    async def handle(self, command: Command[A]) -> A:
        return await self.orchestrator.handle(command)

    async def snapshot(self) -> Snapshot:
        return self.orchestrator.snapshot()


class RemoteControl:
    """The orchestrator in the process that holds the role, through the command table."""

    def __init__(
        self,
        commands: CommandQueue,
        live: LiveStateStore,
        clock: Clock,
        *,
        poll_s: float = 0.05,
        timeout_s: float = 30.0,
    ) -> None:
        """``timeout_s`` bounds every command; the holder answers an order form's smart sync
        within ``smart_answer_within`` (5 s), well inside it."""
        self._commands = commands
        self._live = live
        self._clock = clock
        self._poll_s = poll_s
        self._timeout_s = timeout_s

    async def handle(self, command: Command[A]) -> A:
        document = encode(command)
        command_id = await asyncio.to_thread(self._commands.submit, document, self._clock.now())
        limit = self._timeout_s
        waited = 0.0
        while waited < limit:
            reply = await asyncio.to_thread(self._commands.result, command_id)
            if reply is not None:
                return decode_reply(reply, command)
            await asyncio.sleep(self._poll_s)
            waited += self._poll_s
        raise OrchestratorUnavailableError(
            f"the orchestrator did not answer {kind_of(type(command))} within {limit:.0f} s"
        )

    async def snapshot(self) -> Snapshot:
        published = await asyncio.to_thread(self._live.read)
        if published is None:
            raise OrchestratorUnavailableError("no orchestrator has published its state yet")
        return decode(published[0], Snapshot)


async def serve_command(orchestrator: Orchestrator, document: Any) -> Document:
    """The holder's side: run a command from the table; its answer, or the failure."""
    try:
        answer = await orchestrator.handle(decode_command(document))
    except Exception as exc:  # the sender gets the reason
        return encode_failure(exc)
    return encode(answer)
