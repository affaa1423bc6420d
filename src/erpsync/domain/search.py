"""Text normalisation shared by the mirror (what is stored) and the search (what is asked)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from erpsync.domain.catalog import RecordSpec


def normalise(text: str) -> str:
    """Lower case, no accents, single spaces: "Città  Sant'Angelo" → "citta sant'angelo"."""
    if text.isascii():
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def search_text(spec: RecordSpec, values: Mapping[str, object]) -> str:
    return normalise(" ".join([str(v) for f in spec.search_fields if (v := values.get(f))]))


def search_terms(query: str, *, max_terms: int = 5) -> list[str]:
    """The words of a query, normalised; empty when there is nothing to look for."""
    return normalise(query).split()[:max_terms]
