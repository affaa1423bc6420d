"""Italian tax identifiers with valid check characters: partita IVA and codice fiscale."""

from __future__ import annotations

import random
import string
from datetime import date

_MONTH_LETTERS = "ABCDEHLMPRST"
_VOWELS = set("AEIOU")
# Odd positions of a codice fiscale weigh 0-9 and A-J alike, then K-Z follow their own table.
_ODD_FIRST_TEN = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21)
_ODD_K_TO_Z = (2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_ODD_VALUES = dict(
    zip(string.digits + string.ascii_uppercase, _ODD_FIRST_TEN * 2 + _ODD_K_TO_Z, strict=True)
)


def vat_check_digit(first_ten: str) -> str:
    """The check digit of a partita IVA (Luhn on the first ten digits)."""
    total = 0
    for position, char in enumerate(first_ten, start=1):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def random_vat_number(rng: random.Random) -> str:
    """An 11-digit partita IVA: registration number, tax office code, check digit."""
    registration = f"{rng.randrange(10**7):07d}"
    office = f"{rng.randint(1, 100):03d}"
    return registration + office + vat_check_digit(registration + office)


def _letters(text: str) -> str:
    return "".join(c for c in text.upper() if c in string.ascii_uppercase)


def _surname_code(surname: str) -> str:
    letters = _letters(surname)
    consonants = [c for c in letters if c not in _VOWELS]
    vowels = [c for c in letters if c in _VOWELS]
    return "".join([*consonants, *vowels, "X", "X", "X"])[:3]


def _name_code(name: str) -> str:
    letters = _letters(name)
    consonants = [c for c in letters if c not in _VOWELS]
    if len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    vowels = [c for c in letters if c in _VOWELS]
    return "".join([*consonants, *vowels, "X", "X", "X"])[:3]


def fiscal_code_check_char(first_fifteen: str) -> str:
    """The control character of a codice fiscale."""
    total = 0
    for position, char in enumerate(first_fifteen, start=1):
        if position % 2 == 1:
            total += _ODD_VALUES[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - ord("A")
    return chr(ord("A") + total % 26)


def personal_fiscal_code(
    surname: str, name: str, born: date, *, female: bool, cadastral_code: str
) -> str:
    """The 16-character codice fiscale of a person."""
    day = born.day + (40 if female else 0)
    body = (
        f"{_surname_code(surname)}{_name_code(name)}{born.year % 100:02d}"
        f"{_MONTH_LETTERS[born.month - 1]}{day:02d}{cadastral_code}"
    )
    return body + fiscal_code_check_char(body)
