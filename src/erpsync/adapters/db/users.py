"""Users, their sign-ins and API tokens, and failed sign-ins, on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from erpsync.adapters.db.bulk import DriverRead
from erpsync.adapters.db.tables import api_tokens, login_failures, sign_ins, users
from erpsync.domain.users import Credentials, Role, TokenInfo, User
from erpsync.errors import UserExistsError

#: How many characters of a token's digest name it (shown, and used to revoke it).
TOKEN_ID_LENGTH = 12


#: The two lookups of every request, at the driver level (:class:`DriverRead`): the user's
#: plain columns, as :func:`_user` reads them.
_USER_COLUMNS = (users.c.id, users.c.name, users.c.role, users.c.agent_code)
_BY_TOKEN = (
    select(*_USER_COLUMNS)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.digest == bindparam("digest"))
)
_BY_SIGN_IN = (
    select(*_USER_COLUMNS)
    .join(sign_ins, sign_ins.c.user_id == users.c.id)
    .where(sign_ins.c.digest == bindparam("digest"), sign_ins.c.expires_at > bindparam("now"))
)


def _user(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), row.agent_code)


class _UserRow(NamedTuple):
    """A lookup's row (:data:`_USER_COLUMNS`), named as :func:`_user` reads it."""

    id: int
    name: str
    role: str
    agent_code: str | None


def _looked_up(row: tuple[Any, ...] | None) -> User | None:
    return None if row is None else _user(_UserRow(*row))


class SqlUserStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._by_token = DriverRead(engine, _BY_TOKEN)
        self._by_sign_in = DriverRead(engine, _BY_SIGN_IN)

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
        return _looked_up(self._by_token.first({"digest": digest}))

    def tokens(self, user_id: int) -> list[TokenInfo]:
        query = (
            select(api_tokens)
            .where(api_tokens.c.user_id == user_id)
            .order_by(api_tokens.c.created_at.desc())
        )
        with self._engine.connect() as conn:
            return [
                TokenInfo(row.digest[:TOKEN_ID_LENGTH], row.label, row.created_at)
                for row in conn.execute(query)
            ]

    def revoke_token(self, user_id: int, token_id: str) -> bool:
        if len(token_id) != TOKEN_ID_LENGTH:
            return False
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(api_tokens).where(
                    api_tokens.c.user_id == user_id, api_tokens.c.digest.startswith(token_id)
                )
            )
        return bool(result.rowcount)

    def add_sign_in(
        self, user_id: int, digest: str, created_at: datetime, expires_at: datetime
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(sign_ins).where(sign_ins.c.expires_at <= created_at))
            conn.execute(
                insert(sign_ins).values(
                    digest=digest, user_id=user_id, created_at=created_at, expires_at=expires_at
                )
            )

    def by_sign_in(self, digest: str, now: datetime) -> User | None:
        return _looked_up(self._by_sign_in.first({"digest": digest, "now": now}))

    def end_sign_in(self, digest: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(sign_ins).where(sign_ins.c.digest == digest))

    def end_sign_ins(self, user_id: int) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(delete(sign_ins).where(sign_ins.c.user_id == user_id))
        return int(result.rowcount)


class SqlLoginFailures:
    """:class:`~erpsync.ports.LoginFailures` on a table every replica shares."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, key: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(login_failures).values(key=key, at=at))

    def since(self, key: str, after: datetime) -> list[datetime]:
        query = (
            select(login_failures.c.at)
            .where(login_failures.c.key == key, login_failures.c.at > after)
            .order_by(login_failures.c.at)
        )
        with self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def clear(self, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.key == key))

    def purge(self, before: datetime) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(delete(login_failures).where(login_failures.c.at < before))
        return int(result.rowcount)
