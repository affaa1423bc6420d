"""The book's cursors: opaque, round-trip, and a clear 422 for one the service never gave."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erpsync.domain.book import Mark
from erpsync.errors import InvalidInputError
from erpsync.web.book_json import cursor, parse_cursor

#: A document number as the mirror holds it: text (no lone surrogate: no database stores one)
#: without NUL.
numbers = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=32,
)


@given(day=st.dates(), number=numbers)
def test_a_cursor_round_trips_and_is_url_safe(day: date, number: str) -> None:
    mark = Mark(day, number)
    text = cursor(mark)
    assert text is not None
    assert text.replace("-", "").replace("_", "").isalnum()
    assert parse_cursor(text) == mark


@pytest.mark.parametrize(
    "text", ["zzz", "", "bm8tZGF0ZQ", cursor(Mark(date(2026, 1, 1), "x"))[:-2]]
)
def test_a_cursor_not_handed_out_is_refused_clearly(text: str) -> None:
    with pytest.raises(InvalidInputError, match="not a cursor"):
        parse_cursor(text)


def test_no_cursor_is_the_first_page() -> None:
    assert parse_cursor(None) is None and cursor(None) is None
