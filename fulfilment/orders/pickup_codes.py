"""Pickup codes (取货码) and their QR payloads.

Every paid order gets six random digits (``secrets``), unique among the
orders of its pickup point and delivery date: the database's unique key
decides, and a drawn code that is taken is simply drawn again. The code is
issued in the transaction that marks the order paid, so a paid order without
a code never exists.

The QR payload is ``TG1|<order number>|<code>|<tag>``: the tag is an
HMAC-SHA256 (truncated to 16 hex digits) with the platform's secret, so a
verifier's scanner can trust the payload names one real order and a forged
one is refused without touching the database.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Order, PickupCode
from kernel.db import insert_ignoring_conflicts, write_in_transaction

QR_PREFIX = "TG1"


_TAG_HEX = 16


# With a million codes per point and day, a collision is rare; twenty in a
# row means something else is wrong.
MAX_DRAWS = 20


def draw_code() -> str:
    """Six digits from the operating system's secure random source."""
    return f"{secrets.randbelow(1_000_000):06d}"


def is_code(text: str) -> bool:
    return len(text) == 6 and text.isascii() and text.isdigit()


def _tag(secret: str, order_number: str, code: str) -> str:
    message = f"{QR_PREFIX}|{order_number}|{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:_TAG_HEX]


def qr_payload(secret: str, order_number: str, code: str) -> str:
    """What the customer's QR code carries."""
    return f"{QR_PREFIX}|{order_number}|{code}|{_tag(secret, order_number, code)}"


def parse_qr(secret: str, payload: str) -> tuple[str, str] | None:
    """(order number, code) of a genuine payload; None for anything else."""
    parts = payload.strip().split("|")
    if len(parts) != 4 or parts[0] != QR_PREFIX or not is_code(parts[2]):
        return None
    number, code, tag = parts[1], parts[2], parts[3]
    if not hmac.compare_digest(_tag(secret, number, code).encode(), tag.encode()):
        return None
    return number, code


async def issue_new_order_code(
    session: AsyncSession, order_id: int, pickup_point_id: int, day: date, now: datetime
) -> None:
    """The first code of an order that has none yet (it is being paid): one
    INSERT in the common case; a taken code falls back to issue_pickup_code."""
    if not await _try_code(session, order_id, pickup_point_id, day, draw_code(), now):
        await issue_pickup_code(session, order_id, now)


async def _try_code(
    session: AsyncSession, order_id: int, point_id: int, day: date, code: str, now: datetime
) -> bool:
    """Whether ``code`` was free and is now the order's (the unique keys decide)."""
    inserted = await write_in_transaction(
        session,
        code_insert(session.get_bind().dialect.name),
        order_id=order_id,
        pickup_point_id=point_id,
        delivery_date=day,
        code=code,
        created_at=now,
    )
    return bool(inserted)


@functools.cache
def code_insert(dialect_name: str) -> Any:
    """INSERT of a code that skips a taken one, returning the new row's id.
    Built once per database: codes are issued in the payment rush."""
    table = PickupCode.__table__
    columns = ("order_id", "pickup_point_id", "delivery_date", "code", "created_at")
    return (
        insert_ignoring_conflicts(dialect_name, table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .returning(table.c.id)
    )


async def issue_pickup_code(
    session: AsyncSession,
    order_id: int,
    now: datetime,
    draw: Callable[[], str] = draw_code,
) -> PickupCode:
    """The order's pickup code, issued now if it has none. Safe under
    concurrency: the insert skips a code another transaction holds (it waits
    for that transaction on PostgreSQL) and the next draw is tried."""
    existing = await _code_of(session, order_id)
    if existing is not None:
        return existing
    point_id, day = (
        await session.execute(
            select(Order.pickup_point_id, Campaign.delivery_date)
            .join(Campaign, Campaign.id == Order.campaign_id)
            .where(Order.id == order_id)
        )
    ).one()
    for _ in range(MAX_DRAWS):
        if await _try_code(session, order_id, point_id, day, draw(), now):
            code = await _code_of(session, order_id)
            assert code is not None
            return code
        # Taken by another order of the day, or this order got its code
        # concurrently (then the next lookup finds it).
        existing = await _code_of(session, order_id)
        if existing is not None:
            return existing
    raise RuntimeError(f"no free pickup code found for order {order_id}")


async def _code_of(session: AsyncSession, order_id: int) -> PickupCode | None:
    return (
        await session.execute(select(PickupCode).where(PickupCode.order_id == order_id))
    ).scalar_one_or_none()
