"""Error codes of orders, and the errors orderCreate's rules give, worded
once for both ways of placing an order: the SQLite one raises them directly,
and the PostgreSQL function names the broken rule in a small JSON message
turned into the same error here."""

from __future__ import annotations

import json
from enum import Enum

from kernel.errors import CommonErrorCode, DomainError, NotFound

# The SQLSTATE the database function raises for a broken rule.
RULE_SQLSTATE = "TG001"


def _line(index: int, name: str) -> list[str]:
    return ["lines", str(index), name]


def idempotency_conflict() -> DomainError:
    return DomainError(
        CommonErrorCode.IDEMPOTENCY_CONFLICT,
        "This idempotency key was used for a different order.",
        ["idempotencyKey"],
    )


def point_not_found() -> DomainError:
    return NotFound("Pickup point", ["pickupPointId"])


def point_inactive() -> DomainError:
    return DomainError(
        OrderErrorCode.PICKUP_POINT_INACTIVE,
        "This pickup point is not taking orders.",
        ["pickupPointId"],
    )


def item_not_found(index: int) -> DomainError:
    return DomainError(
        OrderErrorCode.ITEM_NOT_FOUND, "No such campaign item.", _line(index, "campaignItemId")
    )


def item_withdrawn(index: int) -> DomainError:
    return DomainError(
        OrderErrorCode.ITEM_WITHDRAWN,
        "This item is no longer on sale.",
        _line(index, "campaignItemId"),
    )


def item_not_on_sale(index: int) -> DomainError:
    return DomainError(
        OrderErrorCode.ITEM_NOT_ON_SALE,
        "This item sells only within its own sale window, and that is not now.",
        _line(index, "campaignItemId"),
    )


def mixed_campaigns() -> DomainError:
    return DomainError(
        OrderErrorCode.MIXED_CAMPAIGNS, "All lines must come from one campaign.", ["lines"]
    )


def campaign_closed() -> DomainError:
    return DomainError(
        OrderErrorCode.CAMPAIGN_CLOSED, "This campaign is not taking orders now.", ["lines"]
    )


def point_not_served() -> DomainError:
    return DomainError(
        OrderErrorCode.PICKUP_POINT_NOT_SERVED,
        "This campaign does not deliver to this pickup point.",
        ["pickupPointId"],
    )


def limit_exceeded(index: int, limit: int, allowed: int) -> DomainError:
    left = max(allowed, 0)
    return DomainError(
        OrderErrorCode.LIMIT_EXCEEDED,
        f"At most {limit} per customer; {left} more allowed.",
        _line(index, "quantity"),
        remaining=left,
    )


def sold_out(field: list[str], left: int) -> DomainError:
    return DomainError(
        OrderErrorCode.SOLD_OUT,
        "Sold out." if left <= 0 else f"Only {left} left.",
        field,
        remaining=max(left, 0),
    )


def from_database(message: str) -> DomainError:
    """The DomainError for the rule a TG001 message names."""
    rule = json.loads(message)
    code = rule["code"]
    if code == "IDEMPOTENCY_CONFLICT":
        return idempotency_conflict()
    if code == "POINT_NOT_FOUND":
        return point_not_found()
    if code == "PICKUP_POINT_INACTIVE":
        return point_inactive()
    if code == "ITEM_NOT_FOUND":
        return item_not_found(rule["line"])
    if code == "MIXED_CAMPAIGNS":
        return mixed_campaigns()
    if code == "ITEM_WITHDRAWN":
        return item_withdrawn(rule["line"])
    if code == "ITEM_NOT_ON_SALE":
        return item_not_on_sale(rule["line"])
    if code == "CAMPAIGN_CLOSED":
        return campaign_closed()
    if code == "PICKUP_POINT_NOT_SERVED":
        return point_not_served()
    if code == "LIMIT_EXCEEDED":
        return limit_exceeded(rule["line"], rule["limit"], rule["remaining"])
    if code == "SOLD_OUT":
        return sold_out(_line(rule["line"], "quantity"), rule["remaining"])
    raise ValueError(f"unknown order rule from the database: {message}")


class OrderErrorCode(Enum):
    INVALID_QUANTITY = "INVALID_QUANTITY"
    SOLD_OUT = "SOLD_OUT"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    CAMPAIGN_CLOSED = "CAMPAIGN_CLOSED"
    PICKUP_POINT_INACTIVE = "PICKUP_POINT_INACTIVE"
    PICKUP_POINT_NOT_SERVED = "PICKUP_POINT_NOT_SERVED"
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
    MIXED_CAMPAIGNS = "MIXED_CAMPAIGNS"
    ITEM_WITHDRAWN = "ITEM_WITHDRAWN"  # withdrawn from the sale, or cancelled
    ITEM_NOT_ON_SALE = "ITEM_NOT_ON_SALE"  # outside the item's own sale window
    NOT_CANCELLABLE = "NOT_CANCELLABLE"
    AFTER_CUTOFF = "AFTER_CUTOFF"
    NOT_A_CUSTOMER = "NOT_A_CUSTOMER"
    PAYMENT_REJECTED = "PAYMENT_REJECTED"
    # orderPay: only an order awaiting payment can be paid; JSAPI needs the
    # customer's WeChat identity; WeChat Pay may be off or unreachable.
    NOT_PAYABLE = "NOT_PAYABLE"
    PAYER_NOT_WECHAT = "PAYER_NOT_WECHAT"
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"
    # ordersPay: 2 to 10 different orders in one payment (WeChat's bounds);
    # an order whose payment was opened another way (alone, or with other
    # orders) is paid that way, its number being taken at WeChat Pay.
    PAY_TOGETHER_COUNT = "PAY_TOGETHER_COUNT"
    PAYMENT_OPENED = "PAYMENT_OPENED"
    # refundRetry: a refund already back with the payer is done.
    REFUND_NOT_RETRYABLE = "REFUND_NOT_RETRYABLE"
    # The database's cap (refund_cap.py): refunds never pass what was paid.
    REFUND_EXCEEDS_PAID = "REFUND_EXCEEDS_PAID"
    # orderCompensate: goodwill past the operator's limit for one order.
    COMPENSATION_OVER_LIMIT = "COMPENSATION_OVER_LIMIT"
    # orderCompensate: a compensation says why (1 to 500 characters).
    REASON_REQUIRED = "REASON_REQUIRED"
