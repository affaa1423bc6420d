"""Idempotency keys of order writes: their syntax, the body they stand for, what was answered.

A key stands for one body, compared as parsed JSON in a canonical form (keys sorted, no
whitespace), so the order of the fields and the spacing do not matter but their values do:
``"12"`` and ``12`` are different bodies. Only a created order is kept against its key, and
forever; a refused body leaves the key unused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from erpsync.demo_erp.errors import ApiError, IdempotencyKeyReusedError

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def idempotency_key(header: str | None) -> str:
    """The key a write carries in its ``Idempotency-Key`` header.

    Raises:
        ApiError: no key (400 ``missing_idempotency_key``) or a malformed one (400
            ``invalid_idempotency_key``).
    """
    if header is None or header == "":
        raise ApiError(400, "missing_idempotency_key", f"an order write needs an {HEADER} header")
    if not _KEY.fullmatch(header):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"the {HEADER} must be 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'",
        )
    return header


def body_digest(body: Any) -> str:
    """A digest of a parsed JSON body that does not depend on field order or spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class KeptAnswer:
    digest: str
    answer: bytes


class IdempotencyLedger:
    """Each key the ERP created an order for: the body's digest and the answer as first sent."""

    def __init__(self) -> None:
        self._kept: dict[str, KeptAnswer] = {}

    def recall(self, key: str, digest: str) -> bytes | None:
        """The answer kept for ``key``, or ``None`` when the key is unused.

        Raises:
            IdempotencyKeyReusedError: the key was used with a body of another digest.
        """
        kept = self._kept.get(key)
        if kept is None:
            return None
        if kept.digest != digest:
            raise IdempotencyKeyReusedError(key)
        return kept.answer

    def keep(self, key: str, digest: str, answer: bytes) -> None:
        """Keep ``answer`` for ``key``; a key is kept once (the caller recalled it first)."""
        if key in self._kept:
            raise IdempotencyKeyReusedError(key)
        self._kept[key] = KeptAnswer(digest, answer)
