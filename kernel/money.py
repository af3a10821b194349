"""Money is an integer number of fen (分); never a float."""

from __future__ import annotations

from typing import NewType

Fen = NewType("Fen", int)


def fen(value: int) -> Fen:
    """Check that ``value`` is a whole number of fen and tag it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"money must be integer fen, got {type(value).__name__}")
    return Fen(value)


def format_yuan(amount: int) -> str:
    """``12345`` → ``"¥123.45"``, exact for any size (no float on the way)."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def yuan(amount: int) -> str:
    """``12345`` → ``"123.45"``: plain yuan with two decimals, for exports
    (no currency sign, no thousands separator; exact, no float)."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"
