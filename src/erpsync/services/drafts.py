"""Drafts: an agent's orders in preparation, checked against the mirror before they are kept."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from erpsync.domain.drafts import (
    MAX_LINES,
    MAX_NOTES,
    Draft,
    DraftLine,
    QtyRule,
    check_draft_id,
    check_line,
)
from erpsync.domain.users import User
from erpsync.errors import DraftRevisionError, InvalidDraftError, RecordNotFoundError
from erpsync.ports import Clock, DraftStore, MirrorSearch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineInput:
    product_code: str
    qty: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class DraftInput:
    """What the order form sends; descriptions and VAT rates come from the mirror."""

    customer_code: str
    lines: Sequence[LineInput]
    notes: str = ""


@dataclass(frozen=True)
class SavedDraft:
    draft: Draft
    created: bool
    count: int


class DraftService:
    def __init__(self, drafts: DraftStore, mirror: MirrorSearch, clock: Clock) -> None:
        self._drafts = drafts
        self._mirror = mirror
        self._clock = clock

    def create(self, user: User, draft_id: str, data: DraftInput) -> SavedDraft:
        """Save a new draft under the id the browser chose. Creating an id that exists
        returns the existing draft unchanged (a retry, a double click): never two.

        Raises:
            InvalidDraftError: the customer or a line cannot be ordered.
            DraftConflictError: the id is someone else's.
        """
        check_draft_id(draft_id)
        try:
            existing = self._drafts.get(user.id, draft_id)
        except RecordNotFoundError:
            now = self._clock.now()
            draft, created = self._drafts.create(self._build(user, draft_id, data, now, now))
        else:
            draft, created = existing, False
        count = self._drafts.count(user.id)
        log.info(
            "action=draft_saved user=%s draft=%s created=%s count=%d",
            user.name,
            draft.id,
            created,
            count,
        )
        return SavedDraft(draft, created, count)

    def update(
        self, user: User, draft_id: str, data: DraftInput, base_revision: int | None = None
    ) -> SavedDraft:
        """Change the user's draft; with ``base_revision`` (the revision the change was made
        from) only if nobody changed it since.

        Raises:
            RecordNotFoundError: the user has no such draft.
            DraftRevisionError: the draft is no longer at ``base_revision``; nothing changed.
        """
        current = self._drafts.get(user.id, draft_id)
        if base_revision is not None and base_revision != current.revision:
            # Before checking the content: the agent must first choose between the versions.
            raise DraftRevisionError(draft_id, base_revision, current.revision)
        draft = self._build(user, draft_id, data, current.created_at, self._clock.now())
        updated = self._drafts.update(draft, base_revision)
        return SavedDraft(updated, False, self._drafts.count(user.id))

    def get(self, user: User, draft_id: str) -> Draft:
        return self._drafts.get(user.id, draft_id)

    def owned_by(self, user: User) -> list[Draft]:
        return self._drafts.owned_by(user.id)

    def count(self, user: User) -> int:
        return self._drafts.count(user.id)

    def delete(self, user: User, draft_id: str) -> int:
        """Delete the user's draft; returns how many they have left."""
        self._drafts.delete(user.id, draft_id)
        log.info("action=draft_deleted user=%s draft=%s", user.name, draft_id)
        return self._drafts.count(user.id)

    def _build(
        self, user: User, draft_id: str, data: DraftInput, created_at: datetime, now: datetime
    ) -> Draft:
        customer = self._mirror.customer(data.customer_code, user.agent_scope)
        if customer is None:
            raise InvalidDraftError(f"customer {data.customer_code!r} not found")
        if not data.lines:
            raise InvalidDraftError("a draft needs at least one product line")
        if len(data.lines) > MAX_LINES:
            raise InvalidDraftError(f"a draft has at most {MAX_LINES} lines")
        if len(data.notes) > MAX_NOTES:
            raise InvalidDraftError(f"notes have at most {MAX_NOTES} characters")
        products = self._mirror.products_by_code(sorted({li.product_code for li in data.lines}))
        lines = []
        for position, given in enumerate(data.lines, start=1):
            product = products.get(given.product_code)
            if product is None:
                raise InvalidDraftError(
                    f"line {position}: product {given.product_code!r} not found"
                )
            line = DraftLine(
                product_code=given.product_code,
                description=product["description"],
                qty=given.qty,
                unit_price=given.unit_price,
                discount=given.discount,
                vat_rate=Decimal(product["vat_rate"]),
            )
            rule = QtyRule(product["package_size"], product["min_qty"], product["multiple_qty"])
            check_line(line, rule, position)
            lines.append(line)
        return Draft(
            id=draft_id,
            owner_id=user.id,
            customer_code=customer["code"],
            customer_name=customer["name"],
            lines=tuple(lines),
            created_at=created_at,
            updated_at=now,
            notes=data.notes.strip(),
        )
