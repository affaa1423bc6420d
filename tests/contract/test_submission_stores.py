"""The outbox (:class:`~erpsync.ports.SubmissionStore`) on every adapter: in memory, SQLite
and PostgreSQL; then what only the SQL store can promise, holding the drafts beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert

from erpsync.adapters.db.cluster import SqlLeaseStore, SqlRoleFence
from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.submissions import SqlSubmissionStore
from erpsync.adapters.db.tables import mirror_tables
from erpsync.adapters.db.users import SqlUserStore
from erpsync.domain.drafts import Draft, DraftLine
from erpsync.domain.submissions import (
    PlacedOrder,
    Reason,
    RetryPolicy,
    Submission,
    SubmissionState,
)
from erpsync.domain.users import Role
from erpsync.errors import (
    DraftChangedError,
    DraftLockedError,
    LostRoleError,
    RecordNotFoundError,
)
from erpsync.ports import SubmissionStore
from erpsync.testing.orders import InMemorySubmissionStore, MirroredOrder

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Outbox:
    store: SubmissionStore
    owner: int
    #: A draft saved by the owner (in the SQL database beside the outbox).
    draft: Callable[[str], Draft]
    #: An ERP order the orders sync mirrored.
    mirror: Callable[[MirroredOrder], None]

    def submission(self, draft_id: str, at: datetime = T, *, key: str = "") -> Submission:
        draft = self.draft(draft_id)
        return Submission.of_draft(
            draft, "A01", at, id=f"sub-{draft_id}-{key}", key=key or f"key-{draft_id}"
        )


def _draft(draft_id: str, owner: int) -> Draft:
    line = DraftLine("P0001", "Vite", 12, Decimal("4.50"), Decimal(10), Decimal(22))
    return Draft(draft_id, owner, "C00001", "Rossi", (line,), T, T, "consegna mattina")


def _sql_outbox(engine: Engine, fence: SqlRoleFence | None = None) -> Outbox:
    owner = SqlUserStore(engine).add("anna", "x", Role.AGENT, "A01", T).id
    drafts = SqlDraftStore(engine)

    def draft(draft_id: str) -> Draft:
        return drafts.create(_draft(draft_id, owner))[0]

    def mirror(order: MirroredOrder) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(mirror_tables["orders"]).values(
                    number=order.number,
                    customer_code=order.customer_code,
                    date=order.day,
                    state=order.state,
                    client_reference=order.reference,
                    updated_at=T,
                    row_hash="0" * 32,
                    synced_at=T,
                )
            )

    return Outbox(SqlSubmissionStore(engine, fence=fence), owner, draft, mirror)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def outbox(request: pytest.FixtureRequest) -> Outbox:
    if request.param == "memory":
        memory = InMemorySubmissionStore()

        return Outbox(memory, 1, lambda draft_id: _draft(draft_id, 1), memory.mirror.append)
    return _sql_outbox(request.getfixturevalue(f"{request.param}_engine"))


def test_a_draft_is_recorded_once_while_its_submission_lives(outbox: Outbox) -> None:
    first = outbox.submission("draft-0001")
    assert outbox.store.queue([first]) == [first]
    again = outbox.submission("draft-0001", key="other")
    assert outbox.store.queue([again]) == [first], "a second press finds the first"
    stored = outbox.store.get(first.id)
    assert stored == first, "everything comes back as it went in"
    assert outbox.store.get(again.id) is None


def test_after_a_refusal_the_draft_may_be_sent_again_as_a_new_submission(
    outbox: Outbox,
) -> None:
    [first] = outbox.store.queue([outbox.submission("draft-0001")])
    reasons = (Reason("quantity 12 is below the minimum of 24", "below_minimum", "lines", 1),)
    refused = outbox.store.save(first.sending(T).rejected(reasons, T))
    assert outbox.store.get(first.id) == refused
    [second] = outbox.store.queue([outbox.submission("draft-0001", key="again")])
    assert second.id != first.id and second.state == SubmissionState.QUEUED
    assert outbox.store.latest(outbox.owner, ["draft-0001"])["draft-0001"] == second


def test_states_are_kept_and_a_decided_submission_never_moves_back(outbox: Outbox) -> None:
    [queued] = outbox.store.queue([outbox.submission("draft-0001")])
    sending = outbox.store.save(queued.sending(T))
    retried = outbox.store.save(sending.retry_later("ReadTimeout", T, RetryPolicy()))
    assert outbox.store.get(queued.id) == retried
    placed = retried.sending(T).placed(PlacedOrder("OV000777", "inserito"), T)
    assert outbox.store.save(placed) == placed
    stale = retried.sending(T + timedelta(seconds=1))  # an attempt that lost the race
    assert outbox.store.save(stale) == placed, "the stored decision is answered"
    assert outbox.store.get(queued.id) == placed


def test_pending_submissions_come_oldest_first(outbox: Outbox) -> None:
    later = outbox.submission("draft-0002", T + timedelta(minutes=1))
    first = outbox.submission("draft-0001")
    decided = outbox.submission("draft-0003")
    outbox.store.queue([later, first, decided])
    outbox.store.save(decided.sending(T).placed(PlacedOrder("OV1", "inserito"), T))
    assert [s.id for s in outbox.store.pending()] == [first.id, later.id]


def test_reads_show_the_erp_state_the_mirror_holds_now(outbox: Outbox) -> None:
    [queued] = outbox.store.queue([outbox.submission("draft-0001")])
    outbox.store.save(queued.sending(T).placed(PlacedOrder("OV000123", "inserito"), T))
    outbox.mirror(MirroredOrder.of(queued, "OV000123", "spedito"))
    latest = outbox.store.latest(outbox.owner, ["draft-0001", "draft-9999"])
    assert list(latest) == ["draft-0001"]
    assert latest["draft-0001"].erp_state == "spedito"
    assert [s.erp_state for s in outbox.store.placed(outbox.owner)] == ["spedito"]
    assert outbox.store.latest(outbox.owner + 1, ["draft-0001"]) == {}, "only the owner's"


def test_orders_the_mirror_holds_mark_their_pending_submissions_placed(outbox: Outbox) -> None:
    [lost, waiting] = outbox.store.queue(
        [outbox.submission("draft-0001"), outbox.submission("draft-0002")]
    )
    outbox.store.save(lost.sending(T))
    outbox.mirror(MirroredOrder.of(lost, "OV000500"))
    [linked] = outbox.store.link_mirrored(T + timedelta(minutes=1))
    assert (linked.id, linked.state, linked.erp_number) == (
        lost.id,
        SubmissionState.PLACED,
        "OV000500",
    )
    assert outbox.store.get(waiting.id) == waiting
    assert outbox.store.link_mirrored(T) == [], "once"


def test_a_placed_submission_is_never_given_another_number(outbox: Outbox) -> None:
    [queued] = outbox.store.queue([outbox.submission("draft-0001")])
    placed = outbox.store.save(queued.sending(T).placed(PlacedOrder("OV000001", "inserito"), T))
    other = queued.sending(T).placed(PlacedOrder("OV000002", "inserito"), T)  # from a stale row
    assert outbox.store.save(other) == placed
    moved = outbox.store.save(placed.placed(PlacedOrder("OV000001", "spedito"), T))
    assert outbox.store.get(queued.id) == moved, "its ERP state moves on"


def test_an_order_is_linked_only_when_it_is_plainly_the_submissions(outbox: Outbox) -> None:
    """The reference alone is not enough: another customer's or day's order under it is not
    this one, and two orders under it are for an operator, never guessed between."""
    [twice, foreign, mine] = outbox.store.queue(
        [outbox.submission(f"draft-000{n}") for n in (1, 2, 3)]
    )
    outbox.mirror(MirroredOrder.of(twice, "OV000010"))
    outbox.mirror(MirroredOrder.of(twice, "OV000011"))
    outbox.mirror(replace(MirroredOrder.of(foreign, "OV000020"), customer_code="C99999"))
    outbox.mirror(replace(MirroredOrder.of(mine, "OV000030"), number="OV000030"))
    linked = outbox.store.link_mirrored(T)
    assert [(s.draft_id, s.erp_number) for s in linked] == [("draft-0003", "OV000030")]
    assert outbox.store.get(twice.id) == twice and outbox.store.get(foreign.id) == foreign


def test_placed_and_refused_are_counted_since_a_moment(outbox: Outbox) -> None:
    a, b, c = (outbox.submission(f"draft-000{n}") for n in (1, 2, 3))
    outbox.store.queue([a, b, c])
    outbox.store.save(a.sending(T).placed(PlacedOrder("OV1", "inserito"), T))
    outbox.store.save(b.sending(T).rejected((Reason("no"),), T + timedelta(hours=2)))
    assert outbox.store.decided_since(T) == {"placed": 1, "rejected": 1}
    assert outbox.store.decided_since(T + timedelta(hours=1)) == {"placed": 0, "rejected": 1}


# -- what the SQL store promises beside the drafts ------------------------------------------


def test_a_draft_that_changed_since_it_was_read_is_not_recorded(sql_engine: Engine) -> None:
    outbox = _sql_outbox(sql_engine)
    stale = outbox.submission("draft-0001")
    SqlDraftStore(sql_engine).update(
        replace(_draft("draft-0001", outbox.owner), updated_at=T + timedelta(seconds=5))
    )
    with pytest.raises(DraftChangedError, match="changed while it was being sent"):
        outbox.store.queue([stale])
    with pytest.raises(RecordNotFoundError):
        outbox.store.queue([replace(stale, draft_id="draft-9999", id="sub-9999")])
    assert outbox.store.pending() == []


def test_a_draft_on_its_way_or_placed_cannot_change_and_a_refused_one_can(
    sql_engine: Engine,
) -> None:
    outbox = _sql_outbox(sql_engine)
    drafts = SqlDraftStore(sql_engine)
    [queued] = outbox.store.queue([outbox.submission("draft-0001")])
    edited = replace(_draft("draft-0001", outbox.owner), notes="changed")
    with pytest.raises(DraftLockedError, match="being sent to the ERP"):
        drafts.update(edited)
    with pytest.raises(DraftLockedError):
        drafts.delete(outbox.owner, "draft-0001")
    refused = outbox.store.save(queued.sending(T).rejected((Reason("blocked"),), T))
    assert drafts.update(edited).notes == "changed"
    [again] = outbox.store.queue([outbox.submission("draft-0002")])
    outbox.store.save(again.sending(T).placed(PlacedOrder("OV000009", "inserito"), T))
    with pytest.raises(DraftLockedError, match="is ERP order OV000009"):
        drafts.delete(outbox.owner, "draft-0002")
    assert refused.state == SubmissionState.REJECTED


def test_a_process_without_the_role_cannot_change_a_submission(sql_engine: Engine) -> None:
    fence = SqlRoleFence(sql_engine)
    outbox = _sql_outbox(sql_engine, fence)
    [queued] = outbox.store.queue([outbox.submission("draft-0001")])  # any replica records
    with pytest.raises(LostRoleError):
        outbox.store.save(queued.sending(T))
    leases = SqlLeaseStore(sql_engine)
    held = leases.acquire("replica-a", T, timedelta(seconds=15))
    assert held is not None
    fence.hold("replica-a", held.epoch)
    sending = outbox.store.save(queued.sending(T))
    taken = leases.acquire("replica-b", T, timedelta(seconds=15), take_over=True)
    assert taken is not None and taken.epoch == held.epoch + 1
    with pytest.raises(LostRoleError):  # a deposed holder, still claiming its old epoch
        outbox.store.save(sending.placed(PlacedOrder("OV000001", "inserito"), T))
    assert outbox.store.get(queued.id) == sending


@pytest.mark.postgres
def test_two_replicas_pressing_at_once_record_one_submission(postgres_engine: Engine) -> None:
    outbox = _sql_outbox(postgres_engine)
    draft = outbox.draft("draft-0001")
    presses = [
        Submission.of_draft(draft, "A01", T, id=f"sub-{n}", key=f"key-{n}") for n in range(8)
    ]
    answers: list[Submission] = []
    barrier = threading.Barrier(len(presses))

    def press(submission: Submission) -> None:
        barrier.wait()
        answers.extend(outbox.store.queue([submission]))

    threads = [threading.Thread(target=press, args=(s,)) for s in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len({a.id for a in answers}) == 1 and len(answers) == len(presses)
    assert len(outbox.store.pending()) == 1
