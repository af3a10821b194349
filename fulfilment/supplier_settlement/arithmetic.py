"""The money of a supplier statement, in integer fen and nothing else.

* goods: accepted units (no more than the supplier promised) × the purchase
  order line's agreed cost;
* shortage and QC failure: units short of what the supplier confirmed, and
  units that arrived but failed QC, each charged back at
  ``supplier_chargeback_bp`` of the agreed cost (10000 = the full cost),
  rounded down: a fraction of a fen stays with the supplier;
* delivery faults and after-sale quality claims: their own exact amounts;
* the service fee: ``supplier_service_fee_bp`` of the statement's goods,
  rounded down the same way;
* brought forward: negative totals of earlier statements.

A statement's total is the sum of its lines and their dispute adjustments.
A negative total is never payable: approval adds a carried-forward line of
the opposite amount (payable 0), and the next statement brings it forward.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fulfilment.supplier_settlement.models import LineKind

BP = 10_000


CHARGEBACK_KINDS = frozenset(
    {LineKind.SHORTAGE, LineKind.QC_FAILURE, LineKind.DELIVERY_FAULT, LineKind.QUALITY_CLAIM}
)


@dataclass(frozen=True)
class PoLineFacts:
    """What happened to one purchase-order line: bought, promised, received
    and accepted units at the agreed unit cost."""

    purchase_units: int
    confirmed_units: int | None
    received_units: int
    accepted_units: int
    unit_cost_fen: int

    @property
    def promised(self) -> int:
        """Confirmed units; all units bought while never confirmed."""
        return self.purchase_units if self.confirmed_units is None else self.confirmed_units

    @property
    def paid_units(self) -> int:
        return min(self.accepted_units, self.promised)

    @property
    def failed_units(self) -> int:
        return self.received_units - self.accepted_units

    @property
    def short_units(self) -> int:
        return max(self.promised - self.received_units, 0)


def charge(units: int, unit_cost_fen: int, bp: int) -> int:
    """What ``units`` at ``unit_cost_fen`` cost the supplier at ``bp``,
    rounded down (a negative amount: it is deducted)."""
    return -(units * unit_cost_fen * bp // BP)


def service_fee(goods_fen: int, bp: int) -> int:
    """The platform's fee on ``goods_fen``, rounded down; deducted."""
    return -(max(goods_fen, 0) * bp // BP)


def po_line_amounts(facts: PoLineFacts, chargeback_bp: int) -> list[tuple[LineKind, int, int]]:
    """(kind, units, fen) of the lines a purchase-order line gives; kinds
    with no units give none."""
    out = []
    if facts.paid_units > 0:
        out.append((LineKind.GOODS, facts.paid_units, facts.paid_units * facts.unit_cost_fen))
    if facts.short_units > 0:
        amount = charge(facts.short_units, facts.unit_cost_fen, chargeback_bp)
        out.append((LineKind.SHORTAGE, facts.short_units, amount))
    if facts.failed_units > 0:
        amount = charge(facts.failed_units, facts.unit_cost_fen, chargeback_bp)
        out.append((LineKind.QC_FAILURE, facts.failed_units, amount))
    return out


@dataclass
class Totals:
    """A statement's components; ``total_fen`` is their sum."""

    goods_fen: int = 0
    chargeback_fen: int = 0
    fee_fen: int = 0
    brought_forward_fen: int = 0
    adjustment_fen: int = 0
    carried_forward_fen: int = 0
    line_count: int = field(default=0)

    @property
    def total_fen(self) -> int:
        return (
            self.goods_fen
            + self.chargeback_fen
            + self.fee_fen
            + self.brought_forward_fen
            + self.adjustment_fen
            + self.carried_forward_fen
        )

    def add(self, kind: LineKind, amount_fen: int) -> None:
        """Count one line of ``kind``."""
        self.line_count += 1
        if kind is LineKind.GOODS:
            self.goods_fen += amount_fen
        elif kind in CHARGEBACK_KINDS:
            self.chargeback_fen += amount_fen
        elif kind is LineKind.SERVICE_FEE:
            self.fee_fen += amount_fen
        elif kind is LineKind.BROUGHT_FORWARD:
            self.brought_forward_fen += amount_fen
        else:
            self.carried_forward_fen += amount_fen


def totals_of(lines: Iterable[tuple[LineKind, int]]) -> Totals:
    """The components of ``(kind, fen)`` lines."""
    totals = Totals()
    for kind, amount in lines:
        totals.add(kind, amount)
    return totals


def carry(total_fen: int) -> tuple[int, int]:
    """(carried forward, payable) for a statement's total on approval: a
    negative total is carried forward whole and nothing is payable."""
    if total_fen < 0:
        return -total_fen, 0
    return 0, total_fen
