"""The reports' rounding, against exact fractions: rates in basis points
and averages in fen, half up; percent text from basis points."""

from __future__ import annotations

from fractions import Fraction
from math import floor

from hypothesis import given
from hypothesis import strategies as st

from fulfilment.reports.exports import percent
from fulfilment.reports.scope import average, ratio_bps

fen = st.integers(min_value=0, max_value=10**12)
counts = st.integers(min_value=1, max_value=10**7)


def half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


@given(fen, counts)
def test_rates_and_averages_round_half_up(part: int, whole: int) -> None:
    assert ratio_bps(part, whole) == half_up(Fraction(part * 10_000, whole))
    assert average(part, whole) == half_up(Fraction(part, whole))


def test_nothing_to_divide_by() -> None:
    assert ratio_bps(5, 0) is None and average(5, 0) == 0
    assert percent(None) == "-"


@given(st.integers(min_value=0, max_value=10**8))
def test_percent_text_is_exact(bps: int) -> None:
    whole, cents = percent(bps).removesuffix("%").split(".")
    assert Fraction(int(whole) * 100 + int(cents), 100) == Fraction(bps, 100)
    assert len(cents) == 2
