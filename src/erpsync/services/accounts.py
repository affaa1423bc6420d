"""Accounts: adding users, signing in with a password or an API token, the demo users."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from erpsync.auth.passwords import Passwords
from erpsync.auth.tokens import new_token, token_digest
from erpsync.domain.users import Role, User, valid_user_name
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
    def __init__(self, users: UserStore, passwords: Passwords, clock: Clock) -> None:
        self._users = users
        self._passwords = passwords
        self._clock = clock

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

    def set_password(self, name: str, password: str) -> None:
        credentials = self._users.credentials(valid_user_name(name))
        if credentials is None:
            raise RecordNotFoundError("user", name)
        self._users.set_password(credentials.user.id, self._passwords.hash(password))

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
        credentials = self._users.credentials(valid_user_name(name))
        if credentials is None:
            raise RecordNotFoundError("user", name)
        token = new_token()
        self._users.add_token(
            credentials.user.id, token_digest(token), label[:100], self._clock.now()
        )
        log.info("action=token_issued user=%s label=%r", credentials.user.name, label)
        return token

    def user_for_token(self, token: str) -> User | None:
        return self._users.by_token(token_digest(token)) if token else None

    def user(self, user_id: int) -> User | None:
        return self._users.by_id(user_id)

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
