"""Money is an integer number of fen (分); never a float."""

from __future__ import annotations


def yuan(amount: int) -> str:
    """``12345`` → ``"123.45"``: plain yuan with two decimals, for exports
    (no currency sign, no thousands separator; exact, no float)."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"
