"""Money is an integer number of fen (分); never a float."""

from __future__ import annotations


def yuan(amount: int) -> str:
    """``12345`` → ``"123.45"``: plain yuan with two decimals, for exports
    (no currency sign, no thousands separator; exact, no float)."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"


def div_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties to
    the even one (banker's rounding), in exact integer arithmetic. Over many
    lines the ties cancel out instead of all leaning one way."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)  # floor division
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient
