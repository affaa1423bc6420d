"""The search index that migration 0010 builds beside the declared tables.

SQLite: ``<table>_search``, an FTS5 table over ``search_text`` with the trigram tokenizer.
It keeps, for each trigram, the rows that hold it and nothing more (``detail=none``,
``columnsize=0``): without positions it cannot answer a phrase, so a word of more than three
characters is asked as all of its trigrams (:func:`fts_query`), which every row holding the
word has and a few rows not holding it may have too; the search checks every word again with
``LIKE`` anyway. Positions made the index about a third dearer to write, and the sync writes
it far more often than the form reads it.

A word of two characters has no trigram of its own, so the index holds each text with one space
added at its end (migration 0012): every occurrence of such a word then starts a trigram, and
the rows holding the word are exactly those holding one of the index's terms that begin with it,
which ``<table>_search_terms`` (an ``fts5vocab`` table) lists by a range lookup
(:func:`pair_range`). A word whose range holds no term is in no row at all. Only ASCII words
are looked up so: the index folds case by its own rules, which leave ASCII letters as the
mirror's normalisation left them; other short words are checked by ``LIKE`` alone.

It is an *external-content* table over the view ``<table>_search_source`` (the mirror's rowid
and its ``search_text`` with the space): it keeps no second copy of the text, FTS5's
``rebuild`` fills it from the mirror (the migration does, and so can a repair), and
``integrity-check`` compares it with the mirror. Triggers on the mirror table keep it in
step, so it changes in the same transaction as the page that changes the mirror, whoever
writes the rows (the same insert as a statement of the page costs no less); an update that
leaves ``search_text`` as it was (``seen_run``, the sweep's ``deleted_at``) does not touch it.
FTS5 flushes its pending terms at every statement, so the page write upserts a page in one
statement (:class:`~erpsync.adapters.db.bulk.BulkUpsert`): a statement a row made the index
cost four times as much. A contentless table would need the same triggers (SQLite 3.40
cannot delete from one without the old text) and offers neither ``rebuild`` nor the check.
The index points at the mirror's rowids, which no write of the sync engine changes (its
upserts update rows in place; VACUUM keeps them on 3.40, and a ``rebuild`` would repair the
index if one ever did not).

PostgreSQL: a pg_trgm GIN index on ``search_text``, which the planner uses for the search's
``LIKE '%word%'`` as it stands. A word of two characters has no trigram there either, so a
second one (migration 0013) holds the text with every character doubled (:func:`doubled`,
:func:`doubled_sql`): a text holds "zq" exactly when its doubled form holds "zzqq", whose
trigrams the index has, and the search asks that too for each such word.

SQLAlchemy's table declarations cannot state either of these, so the schema check leaves
them out by the names below.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The mirror tables the order form searches.
SEARCHABLE = ("customers", "products")
#: A trigram index finds a word only when it has at least this many characters.
TRIGRAM = 3
#: A word this long is found through the index's terms that begin with it (SQLite).
PAIR = TRIGRAM - 1
#: The tables FTS5 keeps behind an external-content table without column sizes.
_FTS5_SHADOWS = ("data", "idx", "config")


def fts_table(table: str) -> str:
    return f"{table}_search"


def fts_terms(table: str) -> str:
    """The ``fts5vocab`` table listing the terms of ``table``'s index."""
    return f"{fts_table(table)}_terms"


def fts_source(table: str) -> str:
    """The view the index of ``table`` reads its text from."""
    return f"{fts_table(table)}_source"


def trigram_index(table: str) -> str:
    return f"ix_{table}_search_text_trgm"


def pairs_index(table: str) -> str:
    return f"ix_{table}_search_pairs_trgm"


def doubled(text: str) -> str:
    """``text`` with every character doubled: "zq" → "zzqq"."""
    return "".join(ch * 2 for ch in text)


def doubled_sql(column: str) -> str:
    """:func:`doubled` in PostgreSQL, the expression the pairs index (migration 0013) is built
    on: the planner uses the index for a condition on this same expression. The replacement
    (a backslash and ``&``, the match, twice) is an ``E''`` string, which reads the same
    whatever ``standard_conforming_strings`` says."""
    return rf"regexp_replace({column}, '.', E'\\&\\&', 'g')"


def fts_string(term: str) -> str:
    """``term`` as one FTS5 string: whatever it holds, it is matched as literal text."""
    return '"' + term.replace('"', '""') + '"'


def trigrams(word: str) -> list[str]:
    """The distinct runs of :data:`TRIGRAM` characters of ``word``, in order of appearance."""
    return list(dict.fromkeys(word[i : i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)))


def is_pair(word: str) -> bool:
    """Whether ``word`` is looked up by the index's terms that begin with it."""
    return len(word) == PAIR and word.isascii()


def pair_range(word: str) -> tuple[str, str]:
    """The terms beginning with ``word``: those at least ``low`` and below ``high``."""
    return word, word[:-1] + chr(ord(word[-1]) + 1)


def fts_query(words: Sequence[str], pairs: Sequence[Sequence[str]] = ()) -> str:
    """The FTS5 query for the rows holding every trigram of every word of :data:`TRIGRAM`
    characters or more and, for each group of ``pairs`` (the terms beginning with one short
    word), one of its terms: all the rows holding those words, and maybe a few more.

    Raises:
        ValueError: when there is nothing to ask (an empty query, or an empty group, is an FTS5
            syntax error).
    """
    grams = dict.fromkeys(gram for word in words for gram in trigrams(word))
    if any(not group for group in pairs):
        raise ValueError("a short word with no term")
    parts = [fts_string(gram) for gram in grams]
    parts += ["(" + " OR ".join(fts_string(term) for term in group) + ")" for group in pairs]
    if not parts:
        raise ValueError("no word the index can look up")
    return " AND ".join(parts)


def undeclared_names(dialect: str) -> frozenset[str]:
    """The tables and indexes of the search index on ``dialect``, which no declaration names."""
    if dialect == "sqlite":
        return frozenset(
            name
            for table in SEARCHABLE
            for name in (
                fts_table(table),
                fts_terms(table),
                fts_source(table),
                *(f"{fts_table(table)}_{shadow}" for shadow in _FTS5_SHADOWS),
            )
        )
    return frozenset(name for t in SEARCHABLE for name in (trigram_index(t), pairs_index(t)))
