"""Telling a dead holder of the role on this host."""

from __future__ import annotations

import socket

from erpsync.adapters.processes import LocalProcesses


def test_a_holder_is_dead_only_when_its_process_is_gone_from_this_host() -> None:
    here = socket.gethostname()
    probe = LocalProcesses()
    assert not probe.gone(probe.name()), "this very process"
    assert probe.gone(f"{here}:{2**22 + 12345}:abcd1234"), "no such pid"
    assert not probe.gone(f"{here}:1:abcd1234"), "pid 1 lives"
    assert not probe.gone("another-host:12345:abcd1234"), "cannot tell: wait for the lease"
    assert not probe.gone("garbage")


def test_every_process_has_its_own_name() -> None:
    assert LocalProcesses().name() != LocalProcesses().name()
    assert LocalProcesses().name().startswith(f"{socket.gethostname()}:")
