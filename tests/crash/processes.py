"""Child processes for the crash tests: each started with an environment of its own, awaited
over HTTP, killed by its pid, and its output kept in a file to read when a test fails."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

import httpx

import erpsync
from tests.support import free_port

T = TypeVar("T")

#: How often a waiting loop looks again.
POLL_S = 0.1
#: The children import the erpsync this process imports, and the tests package beside it.
PYTHONPATH = os.pathsep.join(
    [str(Path(erpsync.__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]
)
PORT_ATTEMPTS = 3


def child_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its own ``ERPSYNC_*`` settings (a developer's
    ``ERPSYNC_CONFIG`` must not leak into a test), plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPSYNC_")}
    env.update(PYTHONPATH=PYTHONPATH, PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


def wait_until(check: Callable[[], T | None], what: str, timeout_s: float) -> T:
    """Poll ``check`` until it returns something other than ``None``; fail after
    ``timeout_s`` naming ``what`` did not happen."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(POLL_S)


def answers(url: str, headers: Mapping[str, str] | None = None) -> bool:
    """Whether ``GET url`` answers 200 now."""
    try:
        return httpx.get(url, headers=headers, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Process:
    """One ``python -m erpsync …`` child, its output going to ``log_path``. A ``prefix``
    (a command that ends by exec'ing the rest) keeps the pid the erpsync process's own."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        prefix: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self._popen = subprocess.Popen(
            [*prefix, sys.executable, "-m", "erpsync", *args],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self._popen.pid

    def alive(self) -> bool:
        return self._popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, then reap: an unreaped child is a zombie whose pid still looks alive to
        the replica deciding whether the orchestrator role's holder is gone."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self._popen.wait(timeout=10)
        self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass(frozen=True)
class Server:
    process: Process
    url: str


#: What to start for a port: the command's arguments and its environment.
Launch = tuple[Sequence[str], Mapping[str, str]]


class Processes:
    """Every child a test starts, killed when the ``with`` block ends, however it ends."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._started: list[Process] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for process in reversed(self._started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.kill()

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        prefix: Sequence[str] = (),
    ) -> Process:
        log_path = self._log_dir / f"{name}-{len(self._started) + 1}.log"
        process = Process(name, args, env, log_path, prefix)
        self._started.append(process)
        return process

    def run(self, args: Sequence[str], env: Mapping[str, str], timeout_s: float = 30) -> str:
        """Run a short erpsync command to its end; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "erpsync", *args],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"erpsync {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def start_server(
        self,
        name: str,
        launch: Callable[[int], Launch],
        ready: Callable[[str], bool],
        *,
        port: int | None = None,
        timeout_s: float = 20,
        prefix: Sequence[str] = (),
    ) -> Server:
        """Start a server on ``port`` (a free one if not given) and wait until ``ready``
        says its URL answers. Loopback ports are shared with whoever else runs on this
        machine, so a server that lost its port to another is started again on a new one;
        ``ready`` must recognise this test's server, not just any answer."""
        for _ in range(PORT_ATTEMPTS):
            chosen = port or free_port()
            args, env = launch(chosen)
            process = self.start(name, args, env, prefix)
            url = f"http://127.0.0.1:{chosen}"

            def up(process: Process = process, url: str = url) -> bool | None:
                if not process.alive():
                    return False
                return True if ready(url) else None

            if wait_until(up, f"{name} answers on {url}", timeout_s):
                return Server(process, url)
            process.kill()
            if "address already in use" not in process.log_tail():
                raise AssertionError(f"{name} stopped while starting:\n{process.log_tail()}")
            port = None
        raise AssertionError(f"{name} found no free port in {PORT_ATTEMPTS} attempts")
