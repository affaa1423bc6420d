"""Draft rules: quantities per product, exact money, VAT per rate. (``erpsync.domain.drafts``)"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from erpsync.domain.drafts import (
    Draft,
    DraftLine,
    InvalidDraftError,
    QtyIssue,
    QtyRule,
    check_draft_id,
    check_line,
    totals,
)

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _line(qty: int = 1, price: str = "10", discount: str = "0", vat: str = "22") -> DraftLine:
    return DraftLine("P00001", "Vite", qty, Decimal(price), Decimal(discount), Decimal(vat))


@pytest.mark.parametrize(
    ("rule", "qty", "issues"),
    [
        (QtyRule(), 1, []),
        (QtyRule(), 0, [QtyIssue.NOT_POSITIVE]),
        (QtyRule(), -3, [QtyIssue.NOT_POSITIVE]),
        (QtyRule(12, 1, 1), 5, [QtyIssue.PARTIAL_PACKAGE]),
        (QtyRule(12, 1, 1), 24, []),
        (
            QtyRule(10, 10, 10),
            5,
            [QtyIssue.BELOW_MINIMUM, QtyIssue.NOT_MULTIPLE, QtyIssue.PARTIAL_PACKAGE],
        ),
        (QtyRule(10, 10, 10), 15, [QtyIssue.NOT_MULTIPLE, QtyIssue.PARTIAL_PACKAGE]),
        (QtyRule(10, 10, 10), 30, []),
        (QtyRule(None, 6, None), 4, [QtyIssue.BELOW_MINIMUM]),
        (QtyRule(1, 1, 1), 7, []),
    ],
)
def test_the_quantity_rules_of_a_product(rule: QtyRule, qty: int, issues: list[QtyIssue]) -> None:
    assert rule.issues(qty) == issues


def test_only_a_partial_package_is_allowed() -> None:
    assert not QtyIssue.PARTIAL_PACKAGE.blocking
    assert QtyRule(12, 1, 1).describe(5) is None
    assert QtyRule(10, 10, 10).describe(5) == "quantity 5 is below the minimum of 10"
    assert QtyRule(10, 10, 10).describe(15) == "quantity 15 is not a multiple of 10"


@pytest.mark.parametrize(
    ("line", "net"),
    [
        (_line(2, "10.00"), "20.00"),
        (_line(3, "0.333"), "1.00"),
        (_line(1, "0.125"), "0.13"),  # half up, not to even
        (_line(1, "0.135"), "0.14"),
        (_line(2, "10.00", "10"), "18.00"),
        (_line(7, "1.99", "12.5"), "12.19"),
        (_line(1, "5", "100"), "0.00"),
    ],
)
def test_a_line_net_is_rounded_half_up_to_the_cent(line: DraftLine, net: str) -> None:
    assert line.net == Decimal(net)


def test_vat_is_computed_per_rate_on_the_sum_of_the_nets() -> None:
    lines = [_line(1, "0.05"), _line(1, "0.05"), _line(1, "10.00", vat="4")]
    result = totals(lines)
    # per line, 22 % of 0.05 would round to 0.01 twice; on the sum 0.10 it is 0.02
    assert [(v.rate, v.taxable, v.vat) for v in result.by_rate] == [
        (Decimal(4), Decimal("10.00"), Decimal("0.40")),
        (Decimal(22), Decimal("0.10"), Decimal("0.02")),
    ]
    assert (result.net, result.vat, result.total) == (
        Decimal("10.10"),
        Decimal("0.42"),
        Decimal("10.52"),
    )


def test_an_empty_draft_totals_zero() -> None:
    assert totals([]).total == Decimal("0.00")


def test_a_draft_knows_its_totals() -> None:
    draft = Draft("d-00000001", 1, "C1", "Rossi", (_line(2, "10", "10"),), AT, AT)
    assert draft.totals.total == Decimal("21.96")


@pytest.mark.parametrize("draft_id", ["short", "has space in it", "x" * 65, "semi;colon!"])
def test_draft_ids_are_checked(draft_id: str) -> None:
    with pytest.raises(InvalidDraftError):
        check_draft_id(draft_id)


def test_a_uuid_is_a_good_draft_id() -> None:
    assert check_draft_id("0f8fad5b-d9cb-469f-a165-70867728950e")


@pytest.mark.parametrize(
    ("line", "rule", "message"),
    [
        (_line(15), QtyRule(10, 10, 10), "line 2 (P00001): quantity 15 is not a multiple of 10"),
        (_line(0), QtyRule(), "line 2 (P00001): quantity must be at least 1"),
        (_line(2_000_000), QtyRule(), "too large"),
        (_line(1, "-1"), QtyRule(), "must not be negative"),
        (_line(1, "1", "101"), QtyRule(), "between 0 and 100"),
    ],
)
def test_a_line_that_cannot_be_ordered_is_refused_naming_it(
    line: DraftLine, rule: QtyRule, message: str
) -> None:
    with pytest.raises(InvalidDraftError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_line(line, rule, 2)
