"""What the API accepts as text: bounded, and never a NUL character (no database keeps one).

Each limit is declared on the field, so the OpenAPI document says what the validators enforce.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Form, Path, Query
from pydantic import BeforeValidator, Field, WithJsonSchema

NO_NUL = r"^[^\x00]*$"
#: A code as the ERP has it (customer, product): what the mirror's key columns hold.
CODE_LENGTH = 32


def text(max_length: int, *, min_length: int = 0, **extra: Any) -> Any:
    """A text field of a request body."""
    return Field(min_length=min_length, max_length=max_length, pattern=NO_NUL, **extra)


CodePath = Annotated[
    str, Path(min_length=1, max_length=CODE_LENGTH, pattern=NO_NUL, description="an ERP code")
]
SearchQuery = Annotated[str, Query(max_length=100, pattern=NO_NUL, description="words to look for")]


def form_text(max_length: int) -> Any:
    return Form(max_length=max_length, pattern=NO_NUL)


def _decimal_text(pattern: str, example: str) -> Callable[[Any], Any]:
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not compiled.match(value):
            raise ValueError(f"expected decimal text such as {example!r}")
        return value

    return check


MONEY = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
PERCENT = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"

#: An amount of euros as exact text: up to two decimals, never a float that rounds.
Money = Annotated[
    Decimal,
    BeforeValidator(_decimal_text(MONEY, "12.50")),
    WithJsonSchema({"type": "string", "pattern": MONEY, "examples": ["12.50"]}),
]
#: A percentage from 0 to 100 as exact text, up to two decimals.
Percent = Annotated[
    Decimal,
    BeforeValidator(_decimal_text(PERCENT, "12.5")),
    WithJsonSchema({"type": "string", "pattern": PERCENT, "examples": ["0", "12.5"]}),
]


def _whole(value: Any) -> Any:
    """JSON's integers, ``3.0`` included; never ``true`` nor ``"3"``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a whole number")
    return value


#: A whole number as JSON Schema's ``integer`` means it (``3`` or ``3.0``).
WholeNumber = Annotated[int, BeforeValidator(_whole)]


ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _iso_day(value: Any) -> Any:
    """Only ``2026-12-01``: pydantic alone would also read ``0`` as 1970-01-01."""
    if isinstance(value, str) and not re.match(ISO_DAY, value):
        raise ValueError("expected a day as YYYY-MM-DD")
    return value


#: A calendar day in a query, ISO only.
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DAY}),
]
