"""Customers and the pickup point each orders through; share codes."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import insert_ignoring_conflicts
from kernel.validation import clean_phone
from leaders.points.models import PickupPoint

# No 0/O, 1/I/L: codes are read aloud and typed from posters.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_share_code() -> str:
    """An 8-character code (31^8 ≈ 8.5e11 values), unique by constraint."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


async def pickup_point_by_share_code(session: AsyncSession, code: str) -> PickupPoint | None:
    normalised = code.strip().upper()
    if not normalised or len(normalised) > 16:
        return None
    return (
        await session.execute(select(PickupPoint).where(PickupPoint.share_code == normalised))
    ).scalar_one_or_none()


async def customer_by_phone(session: AsyncSession, phone: str, name: str | None) -> User:
    """The customer account with this phone, created when new (a leader
    ordering on a resident's behalf, 代下单). Race-free: concurrent calls for
    one new number end with one account."""
    number = clean_phone(phone, ["customerPhone"])
    await session.execute(
        insert_ignoring_conflicts(session, User).values(
            name=(name or "").strip()[:100] or f"居民{number[-4:]}",
            role=Role.CUSTOMER,
            phone=number,
            created_at=utcnow(),
        )
    )
    return (await session.execute(select(User).where(User.phone == number))).scalar_one()
