"""Statement arithmetic under hypothesis: every component is an exact sum of
its lines, a statement is never payable below zero (a negative total is
carried forward, whole, as a line), and over a run of periods what was paid
plus what is still carried equals what was booked, to the fen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fulfilment.supplier_settlement.arithmetic import (
    BP,
    PoLineFacts,
    carry,
    charge,
    po_line_amounts,
    service_fee,
    totals_of,
)
from fulfilment.supplier_settlement.models import LineKind


@st.composite
def po_lines(draw: st.DrawFn) -> PoLineFacts:
    bought = draw(st.integers(1, 500))
    confirmed = draw(st.none() | st.integers(0, bought))
    received = draw(st.integers(0, bought + 20))
    accepted = draw(st.integers(0, received))
    return PoLineFacts(bought, confirmed, received, accepted, draw(st.integers(0, 100_000)))


@st.composite
def periods(draw: st.DrawFn) -> list[tuple[list[PoLineFacts], list[int], int, int]]:
    """Each period: PO lines, claims (fen), the chargeback and fee rates."""
    return draw(
        st.lists(
            st.tuples(
                st.lists(po_lines(), max_size=6),
                st.lists(st.integers(1, 2_000_000), max_size=4),
                st.integers(0, BP),
                st.integers(0, BP),
            ),
            min_size=1,
            max_size=6,
        )
    )


def statement(
    lines: list[PoLineFacts], claims: list[int], chargeback_bp: int, fee_bp: int, brought: int
) -> list[tuple[LineKind, int]]:
    """The (kind, fen) lines a statement is issued with, as statements.py
    assembles them."""
    out = [(k, fen) for facts in lines for k, _, fen in po_line_amounts(facts, chargeback_bp)]
    out += [(LineKind.QUALITY_CLAIM, -fen) for fen in claims]
    goods = sum(fen for kind, fen in out if kind is LineKind.GOODS)
    if fee := service_fee(goods, fee_bp):
        out.append((LineKind.SERVICE_FEE, fee))
    if brought:
        out.append((LineKind.BROUGHT_FORWARD, -brought))
    return out


@settings(max_examples=300, deadline=None)
@given(po_lines(), st.integers(0, BP))
def test_a_po_line_pays_what_was_accepted_and_charges_what_was_not(
    facts: PoLineFacts, bp: int
) -> None:
    amounts = {kind: (units, fen) for kind, units, fen in po_line_amounts(facts, bp)}
    goods_units, goods = amounts.get(LineKind.GOODS, (0, 0))
    assert goods_units == min(facts.accepted_units, facts.promised)
    assert goods == goods_units * facts.unit_cost_fen
    short_units, short = amounts.get(LineKind.SHORTAGE, (0, 0))
    assert short_units == max(facts.promised - facts.received_units, 0)
    failed_units, failed = amounts.get(LineKind.QC_FAILURE, (0, 0))
    assert failed_units == facts.received_units - facts.accepted_units
    for units, fen in ((short_units, short), (failed_units, failed)):
        # Rounded down in the supplier's favour, never by a whole fen or more.
        exact = units * facts.unit_cost_fen * bp
        assert fen <= 0 and -fen * BP <= exact < (-fen + 1) * BP
        assert fen == charge(units, facts.unit_cost_fen, bp)
    assert all(units > 0 for units, _ in amounts.values())


@settings(max_examples=300, deadline=None)
@given(periods())
def test_statements_are_exact_and_never_payable_below_zero(
    run: list[tuple[list[PoLineFacts], list[int], int, int]],
) -> None:
    brought = 0
    paid = 0
    booked = 0
    for lines, claims, chargeback_bp, fee_bp in run:
        issued = statement(lines, claims, chargeback_bp, fee_bp, brought)
        totals = totals_of(issued)
        # Every component is the exact sum of its lines.
        assert totals.line_count == len(issued)
        assert totals.total_fen == sum(fen for _, fen in issued)
        assert totals.goods_fen == sum(f for k, f in issued if k is LineKind.GOODS)
        assert totals.fee_fen == service_fee(totals.goods_fen, fee_bp) <= 0
        assert totals.chargeback_fen <= 0 and totals.brought_forward_fen == -brought
        carried, payable = carry(totals.total_fen)
        assert payable >= 0 and carried >= 0
        # A statement below zero pays nothing and carries its whole total.
        if totals.total_fen < 0:
            assert (payable, carried) == (0, -totals.total_fen)
            issued.append((LineKind.CARRIED_FORWARD, carried))
        else:
            assert (payable, carried) == (totals.total_fen, 0)
        after = totals_of(issued)
        assert after.total_fen == payable  # the carried line closes it exactly
        assert (after.carried_forward_fen > 0) == (totals.total_fen < 0)
        booked += totals.total_fen + brought  # this period's own business
        paid += payable
        brought = carried
    # Nothing is lost or made up: paid + still carried (owed back) = booked.
    assert paid - brought == booked
