"""The agents' side: who signs in, their drafts, and what the order form looks up."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from erpsync.domain.book import DocumentFilter, DocumentKind, Mark
from erpsync.domain.drafts import Draft
from erpsync.domain.offline import HighMark, SliceKind
from erpsync.domain.users import Credentials, Role, TokenInfo, User


class UserStore(Protocol):
    """The people who sign in, their sign-ins and their API tokens. Names are unique and lower
    case; tokens and sign-ins are kept as digests only."""

    def add(
        self,
        name: str,
        password_hash: str,
        role: Role,
        agent_code: str | None,
        created_at: datetime,
    ) -> User:
        """Raises ``UserExistsError`` when the name is taken."""

    def by_id(self, user_id: int) -> User | None: ...

    def credentials(self, name: str) -> Credentials | None:
        """The user called ``name`` with their password hash, or ``None``."""

    def set_password(self, user_id: int, password_hash: str) -> None: ...

    def all(self) -> list[User]:
        """Every user, by name."""

    def add_token(self, user_id: int, digest: str, label: str, created_at: datetime) -> None:
        """Keep the digest of a new API token of ``user_id``."""

    def by_token(self, digest: str) -> User | None:
        """The owner of the token with this digest, or ``None``."""

    def tokens(self, user_id: int) -> list[TokenInfo]:
        """The user's API tokens, newest first."""

    def revoke_token(self, user_id: int, token_id: str) -> bool:
        """Forget the user's token called ``token_id``; ``False`` if there is none."""

    def add_sign_in(
        self, user_id: int, digest: str, created_at: datetime, expires_at: datetime
    ) -> None:
        """Keep a new sign-in of ``user_id`` (and forget the sign-ins that have expired)."""

    def by_sign_in(self, digest: str, now: datetime) -> User | None:
        """The user of the sign-in with this digest while it lasts, or ``None``."""

    def end_sign_in(self, digest: str) -> None:
        """Forget one sign-in (signing out)."""

    def end_sign_ins(self, user_id: int) -> int:
        """Forget every sign-in of the user; return how many there were."""


class LoginFailures(Protocol):
    """Failed sign-ins by key (a name at a client address), shared by every replica."""

    def record(self, key: str, at: datetime) -> None: ...

    def since(self, key: str, after: datetime) -> list[datetime]:
        """When ``key`` failed after ``after``, oldest first."""

    def clear(self, key: str) -> None: ...

    def purge(self, before: datetime) -> int:
        """Forget failures older than ``before``; return how many."""


class DraftStore(Protocol):
    """Order drafts. Every read and change is scoped to the owner: another owner's draft is
    never returned nor touched, and looks exactly like a draft that does not exist."""

    def create(self, draft: Draft) -> tuple[Draft, bool]:
        """Store ``draft`` unless its id exists; return the stored draft and whether it was
        created now. The same id twice never makes two drafts (a retry returns the first).

        Raises:
            DraftConflictError: the id belongs to another owner's draft.
        """

    def get(self, owner_id: int, draft_id: str) -> Draft:
        """Raises ``RecordNotFoundError`` unless ``owner_id`` owns the draft."""

    def owned_by(self, owner_id: int) -> list[Draft]:
        """The owner's drafts, the most recently changed first."""

    def count(self, owner_id: int) -> int:
        """The owner's drafts that are not ERP orders yet (placed ones are "Inviati")."""

    def update(self, draft: Draft, base_revision: int | None = None) -> Draft:
        """Replace the customer, notes and lines of ``draft`` (matched by id and owner) and
        raise its revision by one; ``created_at`` stays. With ``base_revision``, only when the
        stored draft is still at that revision, in the same transaction.

        Raises:
            RecordNotFoundError: as :meth:`get` does.
            DraftLockedError: the draft is being sent to the ERP, or is an ERP order.
            DraftRevisionError: the stored draft is at another revision than
                ``base_revision``; nothing changed.
        """

    def delete(self, owner_id: int, draft_id: str) -> None:
        """Raises ``RecordNotFoundError`` as :meth:`get` does, ``DraftLockedError`` as
        :meth:`update` does."""


class MirrorSearch(Protocol):
    """Read-only queries on the mirror for the order form. Deleted records never show.

    ``agent_code`` scopes customers: ``None`` sees every customer, a code sees only the
    customers carrying it (an empty code sees none). ``terms`` are normalised words (see
    ``domain.search``); a record matches when its search text contains every term.
    """

    def customers(
        self, terms: Sequence[str], agent_code: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Matching customers by name, then code."""

    def customer(self, code: str, agent_code: str | None) -> dict[str, Any] | None: ...

    def products(self, terms: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """Matching products by code."""

    def products_by_code(self, codes: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def prices(self, product_code: str, on: date) -> list[dict[str, Any]]:
        """The price-list rows of a product valid on ``on``, by list code."""


class MirrorBook(Protocol):
    """Read-only queries on the mirror for the agent's book: customers' master data and their
    orders, DDT and invoices. Deleted records never show.

    ``agent_code`` scopes every query as in :class:`MirrorSearch`: ``None`` sees all, a code
    sees only the records that carry it. Lists are newest first by (date, number) and start
    strictly after ``after`` when it is given.
    """

    def customer_card(self, code: str, agent_code: str | None) -> dict[str, Any] | None:
        """Every master-data field of one customer."""

    def documents(
        self,
        kind: DocumentKind,
        where: DocumentFilter,
        after: Mark | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` documents matching ``where`` (``state`` applies to orders only)."""

    def document(
        self, kind: DocumentKind, number: str, agent_code: str | None
    ) -> dict[str, Any] | None: ...

    def order_lines(self, numbers: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The lines of each order, by line number."""

    def linked(
        self, kind: DocumentKind, order_numbers: Sequence[str], agent_code: str | None
    ) -> dict[str, list[dict[str, Any]]]:
        """The DDT or invoices of each order, oldest first."""

    def customer_names(self, codes: Collection[str]) -> dict[str, str]:
        """The names of the customers among ``codes`` (of documents already scoped)."""

    def unpaid_invoices(self, customer_code: str, agent_code: str | None) -> list[dict[str, Any]]:
        """The customer's invoices not marked paid, with their totals and due dates."""


class MirrorSlices(Protocol):
    """The device's offline slice of the mirror (see ``domain.offline``), whole or as the
    changes since a moment. Deleted records are never rows.

    ``agent_code`` scopes customers as in :class:`MirrorSearch` (``None``: all, a code: only
    the customers carrying it, an empty code: none); products and prices are the same for
    everyone. A price row is in the slice while it has not expired: ``valid_to`` null or on or
    after ``valid_on``, whatever its ``valid_from``.
    """

    def high_mark(self, kind: SliceKind) -> HighMark:
        """The orchestrator role's epoch, then the newest write to the kind's tables: the
        latest ``synced_at`` or ``deleted_at`` (customers: or scope exit), read in that order
        (a writer taking over after the epoch was read shows as a changed epoch next time)."""

    def rows(
        self, kind: SliceKind, agent_code: str | None, valid_on: date, after: datetime | None
    ) -> list[tuple[Any, ...]]:
        """The slice's rows written strictly after ``after`` (all of them without it), each
        the values of ``SLICE_FIELDS[kind]`` as stored, by key."""

    def gone(
        self,
        kind: SliceKind,
        agent_code: str | None,
        valid_on: date,
        after: datetime,
        expired_from: date,
    ) -> set[str]:
        """The keys of rows that left the slice strictly after ``after``: deleted (customers:
        the scope's own), moved to another agent (customers: recorded when the scope's
        customer changed agent), changed to an expired ``valid_to`` (prices), or expired since
        ``expired_from`` (prices: ``valid_to`` from ``expired_from`` to before ``valid_on``).
        A key may also be among the rows, when it came back since."""
