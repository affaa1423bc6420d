"""Users and their API tokens, on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from erpsync.adapters.db.tables import api_tokens, users
from erpsync.domain.users import Credentials, Role, User
from erpsync.errors import UserExistsError


def _user(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), row.agent_code)


class SqlUserStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        name: str,
        password_hash: str,
        role: Role,
        agent_code: str | None,
        created_at: datetime,
    ) -> User:
        values = {
            "name": name,
            "password_hash": password_hash,
            "role": role.value,
            "agent_code": agent_code,
            "created_at": created_at,
        }
        try:
            with self._engine.begin() as conn:
                key = conn.execute(insert(users).values(values)).inserted_primary_key
        except IntegrityError:
            raise UserExistsError(name) from None
        assert key is not None
        return User(int(key[0]), name, role, agent_code)

    def by_id(self, user_id: int) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def credentials(self, name: str) -> Credentials | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return None if row is None else Credentials(_user(row), row.password_hash)

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    def all(self) -> list[User]:
        with self._engine.connect() as conn:
            return [_user(row) for row in conn.execute(select(users).order_by(users.c.name))]

    def add_token(self, user_id: int, digest: str, label: str, created_at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    digest=digest, user_id=user_id, label=label, created_at=created_at
                )
            )

    def by_token(self, digest: str) -> User | None:
        query = (
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.digest == digest)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _user(row)
