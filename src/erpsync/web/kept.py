"""Encodings made once for an object that many answers share."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class KeptByIdentity(Generic[K, V]):
    """What ``make`` made of the objects seen lately, by the object itself (its identity, not
    its equality), the ``size`` latest kept. An entry holds its object, so no other object
    takes its id while it is kept; apps sharing one cannot mix their objects."""

    def __init__(self, make: Callable[[K], V], size: int) -> None:
        self._make = make
        self._size = size
        self._kept: OrderedDict[int, tuple[K, V]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, item: K) -> V:
        with self._lock:
            kept = self._kept.get(id(item))
            if kept is not None and kept[0] is item:
                self._kept.move_to_end(id(item))
                return kept[1]
        made = self._make(item)
        with self._lock:
            self._kept[id(item)] = (item, made)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return made
