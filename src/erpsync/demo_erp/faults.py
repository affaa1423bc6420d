"""Faults the demo ERP injects on purpose, drawn from their own seeded dice."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from enum import Enum
from typing import Any

from erpsync.demo_erp.config import FaultSettings
from erpsync.domain.catalog import FieldKind, FieldSpec, RecordSpec

Record = dict[str, Any]

_NOT_NUMBERS = ("n/d", "12,50 €", "dodici")
_NOT_DATES = ("31/02/2026", "2026-13-45", "ieri")


class Fault(Enum):
    NONE = "none"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"


class WriteFault(Enum):
    """What goes wrong with an order write, in the order it would strike the write."""

    NONE = "none"
    UNAVAILABLE = "unavailable"
    REFUSED = "refused"
    ANSWER_LOST = "answer_lost"


_WRITE_COUNTDOWNS = (
    ("fail_before_commit_next", WriteFault.UNAVAILABLE),
    ("reject_next", WriteFault.REFUSED),
    ("lose_answer_next", WriteFault.ANSWER_LOST),
)


def _breakages(spec: RecordSpec) -> list[tuple[str, FieldSpec]]:
    """Every way to break an item of ``spec``; its key and ``updated_at`` stay intact so a
    client can still name the item it rejects and keep paging."""
    untouchable = {spec.key, "updated_at"}
    ways = [("missing", f) for f in spec.fields if f.required and f.name not in untouchable]
    ways += [("not_a_number", f) for f in spec.fields if f.kind is FieldKind.DECIMAL]
    ways += [("bad_date", f) for f in spec.fields if f.kind is FieldKind.DATE]
    return ways


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject.

    The dice are seeded, so a run with the same seed and the same requests sees the same
    faults; ``fail_next`` counts down before the dice are asked. Order writes roll no dice:
    their faults only count down, so a write never moves the dice the reads see.
    """

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self._settings = settings
        self._rng = random.Random(f"{seed}:faults")

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, settings: FaultSettings) -> None:
        self._settings = settings

    def next_request(self) -> Fault:
        roll = self._rng.random()
        settings = self._settings
        if settings.fail_next > 0:
            self._settings = replace(settings, fail_next=settings.fail_next - 1)
            return Fault.UNAVAILABLE
        if roll < settings.error_rate:
            return Fault.UNAVAILABLE
        if roll < settings.error_rate + settings.timeout_rate:
            return Fault.TIMEOUT
        return Fault.NONE

    def next_write(self) -> WriteFault:
        """The fault for an order write about to commit; each write takes at most one, from
        ``fail_before_commit_next``, then ``reject_next``, then ``lose_answer_next``."""
        for name, fault in _WRITE_COUNTDOWNS:
            left: int = getattr(self._settings, name)
            if left > 0:
                self._settings = replace(self._settings, **{name: left - 1})
                return fault
        return WriteFault.NONE

    def malform(self, spec: RecordSpec, items: Sequence[Record]) -> tuple[list[Record], int]:
        """``items`` with a ``malformed_rate`` share replaced by broken copies, and how many."""
        rate = self._settings.malformed_rate
        if rate <= 0:
            return list(items), 0
        ways = _breakages(spec)
        served: list[Record] = []
        broken = 0
        for item in items:
            if self._rng.random() < rate:
                served.append(self._broken(item, ways))
                broken += 1
            else:
                served.append(item)
        return served, broken

    def _broken(self, item: Record, ways: Sequence[tuple[str, FieldSpec]]) -> Record:
        how, field = self._rng.choice(ways)
        copy = dict(item)
        if how == "missing":
            del copy[field.name]
        elif how == "not_a_number":
            copy[field.name] = self._rng.choice(_NOT_NUMBERS)
        else:
            copy[field.name] = self._rng.choice(_NOT_DATES)
        return copy
