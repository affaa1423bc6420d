"""How the web layer and the CLI command the orchestrator, wherever it runs.

:class:`LocalControl` talks to the orchestrator in this process. :class:`RemoteControl` sends
the same commands through the command table to the process that holds the orchestrator role
and waits for its answer; :class:`CommandExecutor` is that process's side.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from erpsync.domain.schedule import InvalidScheduleError
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.errors import ErpSyncError
from erpsync.ports import Clock, Command, CommandQueue, LiveStateStore
from erpsync.services.answers import RequestAnswer, SmartSyncResult
from erpsync.services.live_state import LiveState
from erpsync.services.orchestrator import Orchestrator


class OrchestratorUnavailableError(ErpSyncError):
    """No process answered for the orchestrator in time."""


@dataclass(frozen=True)
class FormState:
    """The order-form sessions after a command."""

    sessions: int
    paused: bool


class SyncControl(Protocol):
    async def request(
        self, type: SyncType, mode: SyncMode, *, trigger: str = "manual"
    ) -> RequestAnswer: ...

    async def request_all(
        self, mode: SyncMode, *, trigger: str = "manual"
    ) -> list[RequestAnswer]: ...

    async def open_form(self, session_id: str) -> tuple[SmartSyncResult, FormState]: ...

    async def ping_form(self, session_id: str, *, active: bool) -> tuple[bool, FormState]: ...

    async def close_form(self, session_id: str) -> tuple[bool, FormState]: ...

    async def change_schedule(self, entry: TypeSchedule) -> None:
        """Raises ``InvalidScheduleError`` for an entry out of limits."""

    async def live_state(self) -> LiveState: ...


class LocalControl:
    def __init__(self, orchestrator: Orchestrator) -> None:
        self.orchestrator = orchestrator

    def _forms(self) -> FormState:
        sessions = self.orchestrator.sessions
        return FormState(sessions.count, sessions.paused)

    async def request(
        self, type: SyncType, mode: SyncMode, *, trigger: str = "manual"
    ) -> RequestAnswer:
        return self.orchestrator.request(type, mode, trigger=trigger)

    async def request_all(self, mode: SyncMode, *, trigger: str = "manual") -> list[RequestAnswer]:
        return self.orchestrator.request_all(mode, trigger=trigger)

    async def open_form(self, session_id: str) -> tuple[SmartSyncResult, FormState]:
        result = await self.orchestrator.open_form(session_id)
        return result, self._forms()

    async def ping_form(self, session_id: str, *, active: bool) -> tuple[bool, FormState]:
        return self.orchestrator.ping_form(session_id, active=active), self._forms()

    async def close_form(self, session_id: str) -> tuple[bool, FormState]:
        return self.orchestrator.close_form(session_id), self._forms()

    async def change_schedule(self, entry: TypeSchedule) -> None:
        self.orchestrator.change_schedule(entry)

    async def live_state(self) -> LiveState:
        return self.orchestrator.live_state()


# -- the wire format of commands and answers ------------------------------------------------


def _forms_json(forms: FormState) -> dict[str, Any]:
    return {"sessions": forms.sessions, "paused": forms.paused}


def _forms(data: dict[str, Any]) -> FormState:
    return FormState(data["sessions"], data["paused"])


class CommandExecutor:
    """Carries out a command from the table on the local orchestrator; returns its answer."""

    def __init__(self, control: LocalControl) -> None:
        self._control = control

    async def execute(self, command: Command) -> dict[str, Any]:
        p = command.payload
        control = self._control
        match command.kind:
            case "request":
                answer = await control.request(
                    SyncType(p["type"]), SyncMode(p["mode"]), trigger=p["trigger"]
                )
                return {"answer": answer.as_json()}
            case "request_all":
                answers = await control.request_all(SyncMode(p["mode"]), trigger=p["trigger"])
                return {"answers": [a.as_json() for a in answers]}
            case "open_form":
                result, forms = await control.open_form(p["session_id"])
                return {"result": result.as_json(), "forms": _forms_json(forms)}
            case "ping_form":
                known, forms = await control.ping_form(p["session_id"], active=p["active"])
                return {"known": known, "forms": _forms_json(forms)}
            case "close_form":
                closed, forms = await control.close_form(p["session_id"])
                return {"closed": closed, "forms": _forms_json(forms)}
            case "change_schedule":
                entry = TypeSchedule(
                    SyncType(p["type"]),
                    p["priority"],
                    timedelta(seconds=p["interval_s"]),
                    timedelta(seconds=p["offset_s"]),
                )
                try:
                    await control.change_schedule(entry)
                except InvalidScheduleError as exc:
                    return {"invalid": str(exc)}
                return {"changed": True}
        return {"error": f"unknown command {command.kind!r}"}


class RemoteControl:
    """Commands for the orchestrator running in another process, through the command table."""

    def __init__(
        self,
        commands: CommandQueue,
        live: LiveStateStore,
        clock: Clock,
        *,
        poll_s: float = 0.05,
        timeout_s: float = 30.0,
        smart_timeout_s: float = 120.0,
    ) -> None:
        self._commands = commands
        self._live = live
        self._clock = clock
        self._poll_s = poll_s
        self._timeout_s = timeout_s
        self._smart_timeout_s = smart_timeout_s

    async def _call(
        self, kind: str, payload: dict[str, Any], timeout_s: float | None = None
    ) -> dict[str, Any]:
        command_id = await asyncio.to_thread(
            self._commands.submit, kind, payload, self._clock.now()
        )
        limit = timeout_s or self._timeout_s
        waited = 0.0
        while waited < limit:
            result = await asyncio.to_thread(self._commands.result, command_id)
            if result is not None:
                if "error" in result:
                    raise ErpSyncError(f"the orchestrator could not {kind}: {result['error']}")
                return result
            await asyncio.sleep(self._poll_s)
            waited += self._poll_s
        raise OrchestratorUnavailableError(
            f"the orchestrator did not answer {kind} within {limit:.0f} s"
        )

    async def request(
        self, type: SyncType, mode: SyncMode, *, trigger: str = "manual"
    ) -> RequestAnswer:
        payload = {"type": type.value, "mode": mode.value, "trigger": trigger}
        return RequestAnswer.from_json((await self._call("request", payload))["answer"])

    async def request_all(self, mode: SyncMode, *, trigger: str = "manual") -> list[RequestAnswer]:
        answers = await self._call("request_all", {"mode": mode.value, "trigger": trigger})
        return [RequestAnswer.from_json(a) for a in answers["answers"]]

    async def open_form(self, session_id: str) -> tuple[SmartSyncResult, FormState]:
        answer = await self._call(
            "open_form", {"session_id": session_id}, timeout_s=self._smart_timeout_s
        )
        return SmartSyncResult.from_json(answer["result"]), _forms(answer["forms"])

    async def ping_form(self, session_id: str, *, active: bool) -> tuple[bool, FormState]:
        answer = await self._call("ping_form", {"session_id": session_id, "active": active})
        return bool(answer["known"]), _forms(answer["forms"])

    async def close_form(self, session_id: str) -> tuple[bool, FormState]:
        answer = await self._call("close_form", {"session_id": session_id})
        return bool(answer["closed"]), _forms(answer["forms"])

    async def change_schedule(self, entry: TypeSchedule) -> None:
        answer = await self._call(
            "change_schedule",
            {
                "type": entry.type.value,
                "priority": entry.priority,
                "interval_s": entry.interval.total_seconds(),
                "offset_s": entry.offset.total_seconds(),
            },
        )
        if "invalid" in answer:
            raise InvalidScheduleError(answer["invalid"])

    async def live_state(self) -> LiveState:
        published = await asyncio.to_thread(self._live.read)
        if published is None:
            raise OrchestratorUnavailableError("no orchestrator has published its state yet")
        return LiveState.from_json(published[0])
