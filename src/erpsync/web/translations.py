"""The UI's message catalogues (``i18n/<lang>.json``) and how a request picks its language.

Keys are dotted names; a message may hold ``{name}`` placeholders. Counted messages come in
two keys, ``<key>.one`` and ``<key>.other``, chosen by :meth:`Catalogue.plural`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE_DIR = Path(__file__).resolve().parent / "i18n"
DEFAULT_LANGUAGE = "it"
LANGUAGE_COOKIE = "lang"


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Catalogue:
    language: str
    messages: Mapping[str, str]

    def t(self, key: str, /, **params: Any) -> str:
        """The message for ``key`` with its placeholders filled; the key itself if missing."""
        message = self.messages.get(key, key)
        return message.format_map(_Blank(params)) if params else message

    def plural(self, key: str, count: int, /, **params: Any) -> str:
        return self.t(f"{key}.{'one' if count == 1 else 'other'}", count=count, **params)


class Catalogues:
    """Every catalogue, loaded once when the app is built."""

    def __init__(self, folder: Path = CATALOGUE_DIR) -> None:
        self._by_language = {
            path.stem: Catalogue(path.stem, json.loads(path.read_text(encoding="utf-8")))
            for path in sorted(folder.glob("*.json"))
        }
        if DEFAULT_LANGUAGE not in self._by_language:
            raise FileNotFoundError(f"no {DEFAULT_LANGUAGE}.json catalogue in {folder}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._by_language)

    def get(self, language: str) -> Catalogue:
        return self._by_language.get(language, self._by_language[DEFAULT_LANGUAGE])

    def choose(self, query: str | None, cookie: str | None) -> str:
        """The language asked for in the query, else the cookie's, else Italian.

        The browser's ``Accept-Language`` is not consulted on purpose: the service speaks
        Italian unless a user picks English.
        """
        for candidate in (query, cookie):
            if candidate in self._by_language:
                return candidate
        return DEFAULT_LANGUAGE
