"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from erpsync.errors import InvalidUserError

MIN_LENGTH = 4
MAX_LENGTH = 256


class Passwords:
    """Hashes and verifies passwords; a hash carries its own parameters and salt."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Verified when the user is unknown, so a wrong name costs as much as a wrong password.
        self._decoy = self._hasher.hash("erpsync-decoy-password")

    def hash(self, password: str) -> str:
        """Raises :class:`InvalidUserError` for a password too short or too long."""
        if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
            raise InvalidUserError(f"a password needs {MIN_LENGTH} to {MAX_LENGTH} characters")
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
