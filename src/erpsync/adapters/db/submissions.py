"""The outbox of orders sent to the ERP, on SQL (:class:`~erpsync.ports.SubmissionStore`).

A submission is recorded only for the draft as the agent saw it: its transaction first takes
the draft's row (a no-op update, which locks it on PostgreSQL and takes the write lock on
SQLite), checks that the draft has not changed since, then inserts. The draft store takes
the same row before an edit or a delete and refuses while a live submission holds it, so an
order and the draft shown beside it can never differ.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from erpsync.adapters.db.cluster import SqlRoleFence
from erpsync.adapters.db.tables import drafts, mirror_tables, submissions
from erpsync.adapters.db.unindexed import unindexed
from erpsync.domain.submissions import (
    OrderRequest,
    PlacedOrder,
    Reason,
    Submission,
    SubmissionState,
)
from erpsync.errors import DraftChangedError, RecordNotFoundError

log = logging.getLogger(__name__)
_PENDING = (SubmissionState.QUEUED.value, SubmissionState.SENDING.value)
_orders = mirror_tables["orders"]


def _reasons_json(reasons: Sequence[Reason]) -> str | None:
    if not reasons:
        return None
    return json.dumps(
        [{"message": r.message, "code": r.code, "field": r.field, "line": r.line} for r in reasons]
    )


def _reasons(text: str | None) -> tuple[Reason, ...]:
    if not text:
        return ()
    return tuple(
        Reason(r["message"], r.get("code") or "", r.get("field"), r.get("line"))
        for r in json.loads(text)
    )


def _changes(s: Submission) -> dict[str, Any]:
    """The columns that change with a submission's state."""
    return {
        "state": s.state.value,
        "attempts": s.attempts,
        "next_attempt_at": s.next_attempt_at,
        "last_error": s.last_error,
        "erp_number": s.erp_number,
        "erp_state": s.erp_state,
        "reasons": _reasons_json(s.reasons),
        "updated_at": s.updated_at,
        "decided_at": s.decided_at,
    }


def _row(s: Submission) -> dict[str, Any]:
    return {
        "id": s.id,
        "draft_id": s.draft_id,
        "owner_id": s.owner_id,
        "idempotency_key": s.key,
        "content": s.content,
        "content_digest": s.request.content_digest,
        "draft_version": s.draft_version,
        "created_at": s.created_at,
        **_changes(s),
    }


def _submission(row: Any, erp_state: str | None = None) -> Submission:
    return Submission(
        id=row.id,
        draft_id=row.draft_id,
        owner_id=row.owner_id,
        key=row.idempotency_key,
        request=OrderRequest.from_body(json.loads(row.content)),
        content=row.content,
        draft_version=row.draft_version,
        state=SubmissionState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        erp_number=row.erp_number,
        erp_state=erp_state or row.erp_state,
        reasons=_reasons(row.reasons),
        decided_at=row.decided_at,
    )


def take_draft(conn: Connection, draft_id: str, owner_id: int) -> None:
    """Lock the owner's draft for the rest of the transaction.

    Raises:
        RecordNotFoundError: the owner has no such draft.
    """
    mine = and_(drafts.c.id == draft_id, drafts.c.owner_id == owner_id)
    taken = conn.execute(update(drafts).where(mine).values(updated_at=drafts.c.updated_at))
    if taken.rowcount != 1:
        raise RecordNotFoundError("draft", draft_id)


def live_submission(conn: Connection, draft_id: str) -> Submission | None:
    """The draft's submission that is not rejected, if any."""
    row = conn.execute(
        select(submissions).where(
            submissions.c.draft_id == draft_id,
            submissions.c.state != SubmissionState.REJECTED.value,
        )
    ).first()
    return None if row is None else _submission(row)


#: Built once: the status asks it every time. Grouped by ``+state`` on SQLite, which can no
#: longer get the groups in order by walking the state index, all of it: the decision time's
#: index then finds the day's few orders.
_DECIDED_SINCE = (
    select(submissions.c.state, func.count())
    .where(submissions.c.decided_at >= bindparam("since"))
    .group_by(unindexed(submissions.c.state))
)


class SqlSubmissionStore:
    def __init__(self, engine: Engine, *, fence: SqlRoleFence | None = None) -> None:
        self._engine = engine
        self._fence = fence

    def queue(self, batch: Sequence[Submission]) -> list[Submission]:
        for attempt in range(3):
            try:
                with self._engine.begin() as conn:
                    # drafts taken in one order by every transaction: two at once never
                    # wait on each other in a circle
                    by_draft = sorted(batch, key=lambda s: s.draft_id)
                    queued = {s.draft_id: self._queue_one(conn, s) for s in by_draft}
                    return [queued[s.draft_id] for s in batch]
            except IntegrityError:
                # another replica recorded one of these drafts at the same moment: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _queue_one(self, conn: Connection, submission: Submission) -> Submission:
        take_draft(conn, submission.draft_id, submission.owner_id)
        existing = live_submission(conn, submission.draft_id)
        if existing is not None:
            return existing
        version = conn.execute(
            select(drafts.c.updated_at).where(drafts.c.id == submission.draft_id)
        ).scalar_one()
        if version != submission.draft_version:
            raise DraftChangedError(submission.draft_id)
        conn.execute(insert(submissions).values(**_row(submission)))
        return submission

    def get(self, submission_id: str) -> Submission | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        return None if row is None else _submission(row)

    def save(self, submission: Submission) -> Submission:
        """A placed or rejected submission is never changed back, nor a placed one given
        another number (only its ERP state moves on); when that is asked, the stored one is
        returned."""
        final = (SubmissionState.PLACED.value, SubmissionState.REJECTED.value)
        same_decision = (submissions.c.state == submission.state.value) & (
            submissions.c.erp_number.is_(None)
            if submission.erp_number is None
            else submissions.c.erp_number == submission.erp_number
        )
        with self._engine.begin() as conn:
            if self._fence is not None:
                self._fence.check(conn)
            changed = conn.execute(
                update(submissions)
                .where(
                    submissions.c.id == submission.id,
                    submissions.c.state.not_in(final) | same_decision,
                )
                .values(**_changes(submission))
            )
            if changed.rowcount == 1:
                return submission
            row = conn.execute(select(submissions).where(submissions.c.id == submission.id)).first()
        if row is None:
            raise RecordNotFoundError("submission", submission.id)
        return _submission(row)

    def _with_erp_state(self, where: Sequence[Any], order: Sequence[Any]) -> list[Submission]:
        query = (
            select(submissions, _orders.c.state.label("mirrored_state"))
            .select_from(
                submissions.outerjoin(
                    _orders,
                    and_(
                        _orders.c.number == submissions.c.erp_number,
                        _orders.c.deleted_at.is_(None),
                    ),
                )
            )
            .where(*where)
            .order_by(*order)
        )
        with self._engine.connect() as conn:
            return [_submission(row, row.mirrored_state) for row in conn.execute(query)]

    def latest(self, owner_id: int, draft_ids: Sequence[str]) -> dict[str, Submission]:
        if not draft_ids:
            return {}
        found = self._with_erp_state(
            [submissions.c.owner_id == owner_id, submissions.c.draft_id.in_(list(draft_ids))],
            [submissions.c.created_at, submissions.c.id],
        )
        latest: dict[str, Submission] = {}
        for s in found:  # oldest first: the newest of a draft stays, unless one lives
            if s.draft_id not in latest or not latest[s.draft_id].state.holds_draft:
                latest[s.draft_id] = s
        return latest

    def placed(self, owner_id: int, limit: int = 200) -> list[Submission]:
        return self._with_erp_state(
            [
                submissions.c.owner_id == owner_id,
                submissions.c.state == SubmissionState.PLACED.value,
            ],
            [submissions.c.decided_at.desc(), submissions.c.id],
        )[:limit]

    def pending(self) -> list[Submission]:
        query = (
            select(submissions)
            .where(submissions.c.state.in_(_PENDING))
            .order_by(submissions.c.created_at, submissions.c.id)
        )
        with self._engine.connect() as conn:
            return [_submission(row) for row in conn.execute(query)]

    def link_mirrored(self, now: datetime) -> list[Submission]:
        query = (
            select(
                submissions,
                _orders.c.number.label("number"),
                _orders.c.state.label("erp"),
                _orders.c.customer_code.label("customer"),
                _orders.c.date.label("day"),
            )
            .select_from(
                submissions.join(_orders, _orders.c.client_reference == submissions.c.draft_id)
            )
            .where(submissions.c.state.in_(_PENDING), _orders.c.deleted_at.is_(None))
        )
        found: dict[str, tuple[Submission, list[PlacedOrder]]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                submission = _submission(row)
                request = submission.request
                if (row.customer, row.day) != (request.customer_code, request.order_date):
                    continue  # another order under the same reference: not this one
                entry = found.setdefault(submission.id, (submission, []))
                entry[1].append(PlacedOrder(row.number, row.erp))
        linked = []
        for submission, orders in found.values():
            if len(orders) > 1:
                numbers = ", ".join(sorted(o.number for o in orders))
                log.error(
                    "action=submission_link_ambiguous submission=%s draft=%s orders=%s",
                    submission.id,
                    submission.draft_id,
                    numbers,
                )
                continue  # the ERP holds several: an operator must look, nothing is guessed
            linked.append(self.save(submission.placed(orders[0], now)))
        return [s for s in linked if s.state == SubmissionState.PLACED]

    def decided_since(self, since: datetime) -> dict[str, int]:
        counts = {SubmissionState.PLACED.value: 0, SubmissionState.REJECTED.value: 0}
        with self._engine.connect() as conn:
            for state, count in conn.execute(_DECIDED_SINCE, {"since": since}):
                counts[state] = int(count)
        return counts
