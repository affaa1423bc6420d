"""Accounts: adding users, signing in and out, API tokens, the demo users.

A sign-in is kept on the server (as the digest of a random token the browser's cookie holds):
signing out ends it at once, a password change ends all of the user's, and a copied cookie is
worth nothing afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from erpsync.auth.passwords import Passwords
from erpsync.auth.tokens import new_token, token_digest
from erpsync.domain.users import Role, TokenInfo, User, valid_user_name
from erpsync.errors import InvalidUserError, RecordNotFoundError, UserExistsError
from erpsync.ports import Clock, UserStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoUser:
    name: str
    password: str
    role: Role
    agent_code: str | None = None


#: Created in the demo configuration only (``Settings.demo_users_enabled``).
DEMO_USERS = (
    DemoUser("agente", "agente", Role.AGENT, "A01"),
    DemoUser("admin", "admin", Role.ADMIN),
)


class Accounts:
    def __init__(
        self,
        users: UserStore,
        passwords: Passwords,
        clock: Clock,
        *,
        sign_in_lasts: timedelta = timedelta(hours=12),
    ) -> None:
        self._users = users
        self._passwords = passwords
        self._clock = clock
        self._sign_in_lasts = sign_in_lasts

    def add_user(
        self, name: str, password: str, *, admin: bool = False, agent_code: str | None = None
    ) -> User:
        """Raises:
        InvalidUserError: a bad name, password or agent code.
        UserExistsError: the name is taken.
        """
        name = valid_user_name(name)
        agent_code = (agent_code or "").strip() or None
        if agent_code is not None and len(agent_code) > 32:
            raise InvalidUserError("an agent code has at most 32 characters")
        role = Role.ADMIN if admin else Role.AGENT
        user = self._users.add(
            name, self._passwords.hash(password), role, agent_code, self._clock.now()
        )
        log.info("action=user_added user=%s role=%s agent=%s", name, role, agent_code)
        return user

    def _named(self, name: str) -> User:
        credentials = self._users.credentials(valid_user_name(name))
        if credentials is None:
            raise RecordNotFoundError("user", name)
        return credentials.user

    def set_password(self, name: str, password: str) -> int:
        """Set a new password and end every sign-in of the user; return how many ended."""
        user = self._named(name)
        self._users.set_password(user.id, self._passwords.hash(password))
        ended = self._users.end_sign_ins(user.id)
        log.info("action=password_changed user=%s sign_ins_ended=%d", user.name, ended)
        return ended

    def sign_in(self, user: User) -> str:
        """A new sign-in of ``user``: the token its cookie holds (only its digest is kept)."""
        token = new_token()
        now = self._clock.now()
        self._users.add_sign_in(user.id, token_digest(token), now, now + self._sign_in_lasts)
        return token

    def user_for_sign_in(self, token: str) -> User | None:
        """The user of a sign-in while it lasts; ``None`` once it ended or expired."""
        if not token:
            return None
        return self._users.by_sign_in(token_digest(token), self._clock.now())

    def sign_out(self, token: str) -> None:
        if token:
            self._users.end_sign_in(token_digest(token))

    def sign_out_everywhere(self, name: str) -> int:
        """End every sign-in of the user; return how many ended."""
        return self._users.end_sign_ins(self._named(name).id)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs; ``None`` otherwise, in about the same time
        whether or not the name exists."""
        credentials = self._users.credentials(name.strip().lower())
        stored = credentials.password_hash if credentials else None
        if not self._passwords.verify(stored, password) or credentials is None:
            return None
        if self._passwords.needs_rehash(credentials.password_hash):
            self._users.set_password(credentials.user.id, self._passwords.hash(password))
        return credentials.user

    def issue_token(self, name: str, label: str = "") -> str:
        """A new API token for ``name``; only its digest is kept, so show it now."""
        user = self._named(name)
        token = new_token()
        self._users.add_token(user.id, token_digest(token), label[:100], self._clock.now())
        log.info("action=token_issued user=%s label=%r", user.name, label)
        return token

    def tokens(self, name: str) -> list[TokenInfo]:
        return self._users.tokens(self._named(name).id)

    def revoke_token(self, name: str, token_id: str) -> None:
        """Raises ``RecordNotFoundError`` when the user has no token called ``token_id``."""
        user = self._named(name)
        if not self._users.revoke_token(user.id, token_id):
            raise RecordNotFoundError("token", token_id)
        log.info("action=token_revoked user=%s token=%s", user.name, token_id)

    def user_for_token(self, token: str) -> User | None:
        return self._users.by_token(token_digest(token)) if token else None

    def all(self) -> list[User]:
        return self._users.all()

    def ensure_demo_users(self) -> list[DemoUser]:
        """Create the demo users that do not exist yet (an existing one keeps its password)."""
        created = []
        for demo in DEMO_USERS:
            try:
                self.add_user(
                    demo.name,
                    demo.password,
                    admin=demo.role == Role.ADMIN,
                    agent_code=demo.agent_code,
                )
            except UserExistsError:
                continue
            created.append(demo)
        return created
