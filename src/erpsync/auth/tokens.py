"""API tokens for scripts: random, shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "esk_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps: enough to recognise a token, useless to forge one."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
