"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import hypothesis  # noqa: F401  - imported up front: a late import at the summary has tripped CPython
import pytest
from sqlalchemy import Engine, create_engine, text

from erpsync.adapters.db.engine import build_engine, normalise_url
from erpsync.adapters.db.migrate import upgrade

POSTGRES_URL_ENV = "ERPSYNC_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return url
    if os.environ.get("ERPSYNC_REQUIRE_POSTGRES"):
        pytest.fail(f"{POSTGRES_URL_ENV} must be set where PostgreSQL tests are required")
    return None


@pytest.fixture
def sqlite_engine(tmp_path: object) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path}/erpsync.db")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the test session, dropped afterwards."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"set {POSTGRES_URL_ENV} to run the PostgreSQL tests")
    name = f"erpsync_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_engine(postgres_database: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database, emptied before each test."""
    engine = build_engine(postgres_database)
    upgrade(engine)
    from erpsync.adapters.db.tables import metadata

    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on each SQL database erpsync supports."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(fixture)
    return engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API leaves an event loop marked running in
    the main thread, which the asyncio tests after it could not start their own loops beside."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
