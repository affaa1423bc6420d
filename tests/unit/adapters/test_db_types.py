"""Column types that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from erpsync.adapters.db.types import UtcDateTime

ROME = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=ROME),
        datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 0, tzinfo=ROME),
    ],
)
def test_sqlite_text_is_exactly_what_sqlalchemy_would_write(moment: datetime) -> None:
    dialect = sqlite.dialect()
    standard = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert standard is not None
    fast = UtcDateTime().bind_processor(dialect)
    assert fast is not None
    assert fast(moment) == standard(moment.astimezone(UTC).replace(tzinfo=None))
    assert fast(None) is None


def test_a_naive_datetime_is_refused() -> None:
    fast = UtcDateTime().bind_processor(sqlite.dialect())
    assert fast is not None
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 1, 1))
