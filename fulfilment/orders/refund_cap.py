"""The database's cap on refunds: every refund booked, by any path (the
after-sale desk, a cancellation, a shortage, the cutoff's missed groups, a
late or second payment), counts into ``orders.refunded_fen``, which a CHECK
keeps at or below ``orders.paid_fen``. The counting is a trigger, so a
set-based insert is held to the rule as much as a single one.

The trigger has two spellings, side by side in migration 0021 (a
migration is frozen once released, so it keeps its own copy): one
statement-level trigger on PostgreSQL (the UPDATE takes the order's row
lock, so two concurrent refunds of one order take turns and the second sees
the first), one row-level trigger on SQLite (whose writers take turns
anyway). tests/fulfilment/orders/test_refund_cap.py holds both to the same
behaviour. Here: telling the cap's refusal from other errors."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

CONSTRAINT = "refunds_within_paid"

# -- recognise the cap refusing a refund -----------------------------------------


def exceeds_paid(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing refunds beyond what was paid
    (both databases name the constraint in the message)."""
    return isinstance(exc, IntegrityError) and CONSTRAINT in str(exc.orig)
