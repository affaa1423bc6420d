"""Drafts: checked against the mirror, one per id, each agent's own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erpsync.domain.users import User
from erpsync.errors import (
    DraftConflictError,
    DraftRevisionError,
    InvalidDraftError,
    RecordNotFoundError,
)
from erpsync.services.accounts import Accounts
from erpsync.services.drafts import DraftInput, DraftService, LineInput
from erpsync.testing import FakeClock
from tests.integration.web_seed import AT


def _order(customer: str = "C1", *lines: LineInput) -> DraftInput:
    return DraftInput(customer, lines or (LineInput("P1", 200, Decimal("0.12")),), "  note  ")


def test_a_draft_takes_names_and_vat_from_the_mirror(
    drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, _ = people
    saved = drafts.create(anna, "draft-0001", _order("C1", LineInput("P3", 2, Decimal("20"))))
    assert (saved.created, saved.count) == (True, 1)
    draft = saved.draft
    assert (draft.customer_name, draft.notes) == ("Ferramenta Rossi S.r.l.", "note")
    assert (draft.lines[0].description, draft.lines[0].vat_rate) == ("Libro tecnico", Decimal(4))
    assert draft.totals.total == Decimal("41.60")


def test_the_same_draft_id_twice_is_one_draft(
    drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, bruno = people
    first = drafts.create(anna, "draft-0001", _order())
    again = drafts.create(anna, "draft-0001", _order("C2"))
    assert (again.created, again.count) == (False, 1)
    assert again.draft == first.draft
    with pytest.raises(DraftConflictError):
        drafts.create(bruno, "draft-0001", _order("C3"))


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        (_order("C3"), "customer 'C3' not found"),
        (_order("C9"), "customer 'C9' not found"),
        (_order("C1", LineInput("P9", 1, Decimal(1))), "product 'P9' not found"),
        (_order("C1", LineInput("P1", 150, Decimal(1))), "not a multiple of 100"),
        (_order("C1", LineInput("P1", 0, Decimal(1))), "at least 1"),
        (DraftInput("C1", ()), "at least one product line"),
        (DraftInput("C1", (LineInput("P2", 1, Decimal(1)),), "x" * 2001), "notes"),
    ],
)
def test_a_draft_that_cannot_be_ordered_is_refused(
    drafts: DraftService, people: tuple[User, User], order: DraftInput, problem: str
) -> None:
    with pytest.raises(InvalidDraftError, match=problem):
        drafts.create(people[0], "draft-0001", order)
    assert drafts.count(people[0]) == 0


async def test_only_the_owner_reads_changes_or_deletes_a_draft(
    drafts: DraftService, people: tuple[User, User], clock: FakeClock
) -> None:
    anna, bruno = people
    drafts.create(anna, "draft-0001", _order())
    with pytest.raises(RecordNotFoundError):
        drafts.get(bruno, "draft-0001")
    with pytest.raises(RecordNotFoundError):
        drafts.update(bruno, "draft-0001", _order("C3"))
    with pytest.raises(RecordNotFoundError):
        drafts.delete(bruno, "draft-0001")
    assert drafts.owned_by(bruno) == []

    await clock.advance(3600)
    updated = drafts.update(anna, "draft-0001", _order("C2"))
    assert (updated.draft.customer_code, updated.draft.created_at) == ("C2", AT)
    assert updated.draft.updated_at == AT.replace(hour=9)
    assert drafts.delete(anna, "draft-0001") == 0


def test_a_change_made_from_an_older_revision_is_a_conflict_and_saves_nothing(
    drafts: DraftService, people: tuple[User, User]
) -> None:
    anna = people[0]
    created = drafts.create(anna, "draft-0001", _order())
    assert created.draft.revision == 1
    assert drafts.update(anna, "draft-0001", _order("C2"), base_revision=1).draft.revision == 2
    # The other device still edits revision 1: refused, even with lines that could not go.
    with pytest.raises(DraftRevisionError, match="revision 2"):
        drafts.update(anna, "draft-0001", _order("C1", LineInput("P1", 1, Decimal(1))), 1)
    assert drafts.get(anna, "draft-0001").customer_code == "C2"
    # A retry of the create that made it answers the stored draft: still one, as it is now.
    again = drafts.create(anna, "draft-0001", _order())
    assert (again.created, again.draft.revision, again.count) == (False, 2, 1)


def test_an_admin_may_order_for_any_customer(drafts: DraftService, accounts: Accounts) -> None:
    admin = accounts.add_user("capo", "segreto-1", admin=True)
    assert drafts.create(admin, "draft-admin1", _order("C3")).draft.customer_code == "C3"
