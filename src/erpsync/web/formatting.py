"""Numbers as people read them in each language (the pages' JavaScript uses ``Intl`` alike)."""

from __future__ import annotations

from decimal import Decimal


def format_money(amount: str | Decimal, language: str) -> str:
    """``1234.5`` → ``1.234,50 €`` in Italian, ``€1,234.50`` in English."""
    grouped = f"{Decimal(amount):,.2f}"
    if language == "it":
        return grouped.replace(",", " ").replace(".", ",").replace(" ", ".") + " €"
    return f"€{grouped}"


def format_day(day: str | None) -> str:
    """``2026-12-01`` → ``01/12/2026``, as both catalogues' locales (it-IT, en-GB) write it."""
    if not day:
        return "—"
    year, month, date = day.split("-")
    return f"{date}/{month}/{year}"
