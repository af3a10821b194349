"""What orderCreate is asked and answers, and the checks that need no
database: line shapes, the idempotency key, the request's fingerprint."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Order
from kernel.accounts import Role, User
from kernel.errors import CommonErrorCode, DomainError

MAX_LINES = 50
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineRequest:
    campaign_item_id: int
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    customer: User
    placed_by: User
    pickup_point_id: int
    lines: Sequence[LineRequest]
    idempotency_key: str


# Order numbers are ten random digits a day, so two orders of a busy day
# can draw the same one (at a million orders a day, one order in 10,000):
# the placing paths draw again, up to this many times.
MAX_NUMBER_DRAWS = 5


@dataclass(frozen=True)
class Placement:
    """What placing a checked request adds to it: its fingerprint, the new
    order's number (and how to draw another) and times."""

    digest: str
    number: str
    now: datetime
    expires_at: datetime
    draw_number: Callable[[], str]

    def renumbered(self) -> Placement:
        """The same placement with a newly drawn number: the last was taken."""
        return replace(self, number=self.draw_number())


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    replayed: bool  # True when the key had been used: nothing new was created


def _check_lines(lines: Sequence[LineRequest]) -> None:
    if not 1 <= len(lines) <= MAX_LINES:
        raise DomainError(
            OrderErrorCode.INVALID_QUANTITY, f"An order has 1 to {MAX_LINES} lines.", ["lines"]
        )
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                OrderErrorCode.INVALID_QUANTITY,
                f"Quantities are whole numbers from 1 to {MAX_QUANTITY}.",
                ["lines", str(index), "quantity"],
            )
        if line.campaign_item_id in seen:
            raise DomainError(
                OrderErrorCode.INVALID_QUANTITY,
                "Each item once per order; add up the quantities instead.",
                ["lines", str(index), "campaignItemId"],
            )
        seen.add(line.campaign_item_id)


def checked_request(request: OrderRequest) -> OrderRequest:
    """The request with its key trimmed, once its lines, key and customer pass
    the checks that need no database."""
    _check_lines(request.lines)
    key = request.idempotency_key.strip()
    if not 1 <= len(key) <= 100:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Give an idempotency key of 1 to 100 characters.",
            ["idempotencyKey"],
        )
    if request.customer.role not in (Role.CUSTOMER, Role.LEADER):
        raise DomainError(OrderErrorCode.NOT_A_CUSTOMER, "Only customers place orders.")
    return replace(request, idempotency_key=key)


def request_hash(request: OrderRequest) -> str:
    """A fingerprint of what was asked: a reused key must ask the same."""
    canonical = json.dumps(
        {
            "customer": request.customer.id,
            "pickupPoint": request.pickup_point_id,
            "lines": sorted((ln.campaign_item_id, ln.quantity) for ln in request.lines),
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def order_number(now: datetime, zone: ZoneInfo) -> str:
    """Date in the platform's zone, then ten random digits (unique index)."""
    return f"{now.astimezone(zone):%y%m%d}{secrets.randbelow(10**10):010d}"
