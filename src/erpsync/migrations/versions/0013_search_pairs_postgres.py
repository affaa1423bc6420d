"""PostgreSQL's search finds words of two characters through an index too

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:00:00

PostgreSQL only (SQLite's schema does not change; migration 0012 did the same for it). The
trigram index on ``search_text`` has no trigram for a word of two characters, so such a word
that matched nobody ("zq") made the search read every row. Each searchable table gets a second
``gin_trgm_ops`` index, on the text with every character doubled ("zq" becomes "zzqq"): a text
holds a word exactly when its doubled form holds the word's doubled form, which has trigrams of
its own. The search adds that condition for each word of two characters.

The two tables also leave half of each page free (``fillfactor``): a full sync marks every row
it sees, and a row marked where its page has room for the new version is a heap-only update,
which touches none of the indexes. Packed pages made every mark an entry in each of the eight
indexes, the two GIN ones (the doubling alone costs some 12 us a row) included: the unchanged
re-sync of 100,000 customers took 18 s, and takes 4-7 s with the room. The setting applies to
the pages written from now on; ``VACUUM FULL`` would rewrite the existing ones.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SEARCHABLE = ("customers", "products")
#: As ``search_index.doubled_sql("search_text")`` writes it: the planner uses the index only
#: for a condition on this same expression (the same function and constants).
_DOUBLED = r"regexp_replace(search_text, '.', E'\\&\\&', 'g')"
#: Percent of a page the rows fill when written; the rest is for their next versions.
_FILLFACTOR = 50


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _SEARCHABLE:
        op.execute(
            f"CREATE INDEX ix_{table}_search_pairs_trgm ON {table} "
            f"USING gin (({_DOUBLED}) gin_trgm_ops)"
        )
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _SEARCHABLE:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_pairs_trgm")
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
