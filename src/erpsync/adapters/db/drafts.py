"""Order drafts on SQL: one row a draft, its lines in a child table, always scoped by owner."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from erpsync.adapters.db.submissions import live_submission, take_draft
from erpsync.adapters.db.tables import draft_lines, drafts, submissions
from erpsync.domain.drafts import Draft, DraftLine
from erpsync.domain.submissions import SubmissionState
from erpsync.errors import (
    DraftConflictError,
    DraftLockedError,
    DraftRevisionError,
    RecordNotFoundError,
)


def _line_rows(draft: Draft) -> list[dict[str, Any]]:
    return [
        {
            "draft_id": draft.id,
            "line_no": n,
            "product_code": line.product_code,
            "description": line.description,
            "qty": line.qty,
            "unit_price": str(line.unit_price),
            "discount": str(line.discount),
            "vat_rate": str(line.vat_rate),
        }
        for n, line in enumerate(draft.lines, start=1)
    ]


def _line(row: Any) -> DraftLine:
    return DraftLine(
        product_code=row.product_code,
        description=row.description,
        qty=row.qty,
        unit_price=Decimal(row.unit_price),
        discount=Decimal(row.discount),
        vat_rate=Decimal(row.vat_rate),
    )


def _take_unsent(conn: Connection, draft_id: str, owner_id: int) -> None:
    """Lock the owner's draft for the transaction, refusing while it is sent or placed.

    Raises:
        RecordNotFoundError: the owner has no such draft.
        DraftLockedError: a submission that is not rejected holds it.
    """
    take_draft(conn, draft_id, owner_id)
    live = live_submission(conn, draft_id)
    if live is None:
        return
    if live.state == SubmissionState.PLACED:
        raise DraftLockedError(
            f"draft {draft_id!r} is ERP order {live.erp_number}: it can no longer change"
        )
    raise DraftLockedError(f"draft {draft_id!r} is being sent to the ERP: it cannot change now")


class SqlDraftStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, draft: Draft) -> tuple[Draft, bool]:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(drafts).values(
                        id=draft.id,
                        owner_id=draft.owner_id,
                        customer_code=draft.customer_code,
                        customer_name=draft.customer_name,
                        notes=draft.notes,
                        created_at=draft.created_at,
                        updated_at=draft.updated_at,
                        revision=draft.revision,
                    )
                )
                if draft.lines:
                    conn.execute(insert(draft_lines), _line_rows(draft))
        except IntegrityError:
            with self._engine.connect() as conn:
                existing = self._load(conn, [drafts.c.id == draft.id])
            if not existing:
                raise  # not the primary key: a genuine integrity problem
            if existing[0].owner_id != draft.owner_id:
                raise DraftConflictError(draft.id) from None
            return existing[0], False
        return draft, True

    def get(self, owner_id: int, draft_id: str) -> Draft:
        with self._engine.connect() as conn:
            found = self._load(conn, [drafts.c.id == draft_id, drafts.c.owner_id == owner_id])
        if not found:
            raise RecordNotFoundError("draft", draft_id)
        return found[0]

    def owned_by(self, owner_id: int) -> list[Draft]:
        with self._engine.connect() as conn:
            return self._load(conn, [drafts.c.owner_id == owner_id])

    def count(self, owner_id: int) -> int:
        placed = (
            select(submissions.c.id)
            .where(
                submissions.c.draft_id == drafts.c.id,
                submissions.c.state == SubmissionState.PLACED.value,
            )
            .exists()
        )
        query = (
            select(func.count()).select_from(drafts).where(drafts.c.owner_id == owner_id, ~placed)
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def update(self, draft: Draft, base_revision: int | None = None) -> Draft:
        mine = and_(drafts.c.id == draft.id, drafts.c.owner_id == draft.owner_id)
        with self._engine.begin() as conn:
            _take_unsent(conn, draft.id, draft.owner_id)
            if base_revision is not None:
                # The row is locked since _take_unsent: nobody changes it before the update.
                current = conn.execute(select(drafts.c.revision).where(mine)).scalar_one()
                if current != base_revision:
                    raise DraftRevisionError(draft.id, base_revision, current)
            changed = conn.execute(
                update(drafts)
                .where(mine)
                .values(
                    customer_code=draft.customer_code,
                    customer_name=draft.customer_name,
                    notes=draft.notes,
                    updated_at=draft.updated_at,
                    revision=drafts.c.revision + 1,
                )
            )
            if changed.rowcount != 1:
                raise RecordNotFoundError("draft", draft.id)
            conn.execute(delete(draft_lines).where(draft_lines.c.draft_id == draft.id))
            if draft.lines:
                conn.execute(insert(draft_lines), _line_rows(draft))
            return self._load(conn, [mine])[0]

    def delete(self, owner_id: int, draft_id: str) -> None:
        mine = and_(drafts.c.id == draft_id, drafts.c.owner_id == owner_id)
        with self._engine.begin() as conn:
            _take_unsent(conn, draft_id, owner_id)
            conn.execute(
                delete(draft_lines).where(
                    draft_lines.c.draft_id.in_(select(drafts.c.id).where(mine))
                )
            )
            if conn.execute(delete(drafts).where(mine)).rowcount != 1:
                raise RecordNotFoundError("draft", draft_id)

    def _load(self, conn: Connection, where: Sequence[Any]) -> list[Draft]:
        heads = conn.execute(
            select(drafts).where(*where).order_by(drafts.c.updated_at.desc(), drafts.c.id)
        ).all()
        if not heads:
            return []
        ids = [h.id for h in heads]
        lines: dict[str, list[DraftLine]] = {i: [] for i in ids}
        for row in conn.execute(
            select(draft_lines)
            .where(draft_lines.c.draft_id.in_(ids))
            .order_by(draft_lines.c.draft_id, draft_lines.c.line_no)
        ):
            lines[row.draft_id].append(_line(row))
        return [
            Draft(
                id=h.id,
                owner_id=h.owner_id,
                customer_code=h.customer_code,
                customer_name=h.customer_name,
                lines=tuple(lines[h.id]),
                created_at=h.created_at,
                updated_at=h.updated_at,
                notes=h.notes,
                revision=h.revision,
            )
            for h in heads
        ]
