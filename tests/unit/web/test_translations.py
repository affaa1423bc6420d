"""The message catalogues and how a request picks its language."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from erpsync.web.translations import (
    CATALOGUE_DIR,
    DEFAULT_LANGUAGE,
    Catalogue,
    Catalogues,
)

WEB = CATALOGUE_DIR.parent
#: ``t("key"`` / ``plural("key"`` with a literal key, in templates and scripts.
USED_KEY = re.compile(r"""\b(t|plural)\(\s*["']([a-z0-9_.]+)["']""")


def _catalogue(language: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((CATALOGUE_DIR / f"{language}.json").read_text())
    return messages


def _placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def _used_keys() -> set[str]:
    keys = set()
    sources = [*WEB.glob("templates/*.html"), *WEB.glob("static/*.js")]
    for path in sources:
        for kind, key in USED_KEY.findall(path.read_text(encoding="utf-8")):
            keys |= {f"{key}.one", f"{key}.other"} if kind == "plural" else {key}
    return keys


def test_there_are_italian_and_english_catalogues() -> None:
    assert Catalogues().languages == ("en", "it")
    assert DEFAULT_LANGUAGE == "it"


def test_the_catalogues_have_the_same_keys() -> None:
    assert set(_catalogue("it")) == set(_catalogue("en"))


def test_each_message_has_the_same_placeholders_in_every_language() -> None:
    italian, english = _catalogue("it"), _catalogue("en")
    different = {
        key: (_placeholders(italian[key]), _placeholders(english[key]))
        for key in italian
        if _placeholders(italian[key]) != _placeholders(english[key])
    }
    assert different == {}


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    used = _used_keys()
    assert len(used) > 50
    assert used - set(_catalogue("it")) == set()


def test_the_banners_read_as_the_spec_says() -> None:
    italian = Catalogues().get("it")
    assert italian.plural("order.saved", 1) == "✅ Bozza salvata! (1 bozza totale)"
    assert italian.plural("order.saved", 3) == "✅ Bozza salvata! (3 bozze totali)"
    assert italian.plural("order.done", 5) == "✅ Fatto (5 bozze)"
    assert italian.t("order.smart_sync.running") == "Aggiornamento clienti…"


def test_messages_fill_their_placeholders_and_missing_keys_show_themselves() -> None:
    catalogue = Catalogue("xx", {"hello": "Ciao {name}, {unknown}"})
    assert catalogue.t("hello", name="Anna") == "Ciao Anna, {unknown}"
    assert catalogue.t("hello") == "Ciao {name}, {unknown}"
    assert catalogue.t("nope") == "nope"


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        (None, None, "it"),
        (None, "en", "en"),
        ("en", None, "en"),
        ("it", "en", "it"),
        ("xx", "en", "en"),
        ("xx", "yy", "it"),
    ],
)
def test_the_language_comes_from_the_query_then_the_cookie_else_italian(
    query: str | None, cookie: str | None, expected: str
) -> None:
    assert Catalogues().choose(query, cookie) == expected


def test_an_unknown_language_falls_back_to_italian() -> None:
    assert Catalogues().get("fr").language == "it"


def test_a_folder_without_the_italian_catalogue_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text("{}")
    with pytest.raises(FileNotFoundError):
        Catalogues(tmp_path)
