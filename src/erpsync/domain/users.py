"""Who uses erpsync: sales agents and admins, and what each of them may see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from erpsync.errors import InvalidUserError

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class Role(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    """A signed-in person.

    Attributes:
        id: The store's id.
        name: The sign-in name (lower case).
        role: Agents see their own records; admins see everything and change the schedule.
        agent_code: The ERP's code for this agent; records carrying it are theirs.
    """

    id: int
    name: str
    role: Role
    agent_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def agent_scope(self) -> str | None:
        """The agent code records must carry to be visible; ``None`` means every record.

        An agent without an agent code sees nothing, never everything.
        """
        if self.is_admin:
            return None
        return self.agent_code or ""


@dataclass(frozen=True)
class TokenInfo:
    """An API token as its owner may see it again: never the token itself.

    Attributes:
        id: A short name for it (the start of its digest), to revoke it by.
    """

    id: str
    label: str
    created_at: datetime


@dataclass(frozen=True)
class Credentials:
    """A user with the stored hash of their password, for signing in."""

    user: User
    password_hash: str


def valid_user_name(name: str) -> str:
    """The name normalised to lower case.

    Raises:
        InvalidUserError: not 2-64 letters, digits, ``.``, ``_`` or ``-`` starting with a
            letter or digit.
    """
    normalised = name.strip().lower()
    if not USER_NAME.match(normalised):
        raise InvalidUserError(
            f"invalid user name {name!r}: use 2-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return normalised
