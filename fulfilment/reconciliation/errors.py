"""What reconciliation refuses. Its one refusal uses the common INVALID
code: a code of its own would need a line in the API's list of domain codes
(api/graphql/errors.py), which this room does not own."""

from __future__ import annotations

from datetime import date

from kernel.errors import CommonErrorCode, DomainError


def not_billed_yet(bill_date: date, today: date) -> DomainError:
    """A date after today (China time) has no bill to reconcile against
    (WeChat Pay bills a day once it is over; the sandbox bills today too)."""
    return DomainError(
        CommonErrorCode.INVALID,
        f"{bill_date.isoformat()} is after today ({today.isoformat()}, China time): no bill yet.",
        ["date"],
    )
