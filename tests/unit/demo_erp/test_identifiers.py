from __future__ import annotations

import random
from datetime import date

from erpsync.demo_erp.identifiers import (
    personal_fiscal_code,
    random_vat_number,
    vat_check_digit,
)


def test_vat_check_digit_of_a_known_number() -> None:
    assert vat_check_digit("1234567890") == "3"


def test_random_vat_numbers_are_eleven_digits_with_a_valid_check_digit() -> None:
    rng = random.Random(1)
    for _ in range(200):
        number = random_vat_number(rng)
        assert len(number) == 11
        assert number.isdigit()
        assert vat_check_digit(number[:10]) == number[10]


def test_fiscal_code_of_a_known_person() -> None:
    code = personal_fiscal_code(
        "Rossi", "Mario", date(1980, 1, 1), female=False, cadastral_code="H501"
    )

    assert code == "RSSMRA80A01H501U"


def test_fiscal_code_of_a_woman_adds_forty_to_the_day() -> None:
    code = personal_fiscal_code(
        "D'Angelo", "Giulia", date(1975, 6, 9), female=True, cadastral_code="F205"
    )

    assert code[:11] == "DNGGLI75H49"
    assert len(code) == 16
