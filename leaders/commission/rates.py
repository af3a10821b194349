"""Operators' commission settings: category and product rates, and the
leader levels whose bonus adds to them. Rates are basis points (1000 = 10 %).

Changing a rate changes future accruals only: each accrual entry keeps the
rate it was booked at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import User
from kernel.errors import DomainError
from kernel.validation import clean_text
from leaders.commission.errors import CommissionErrorCode
from leaders.commission.models import CategoryRate, LeaderLevel, ProductRate


def _check_bps(rate_bps: int, field: list[str]) -> int:
    if not 0 <= rate_bps <= 10_000:
        raise DomainError(
            CommissionErrorCode.INVALID_RATE,
            "A rate is 0 to 10000 basis points (0 % to 100 %).",
            field,
        )
    return rate_bps


RateRow = TypeVar("RateRow", CategoryRate, ProductRate)


async def _set_rate(
    session: AsyncSession,
    model: type[RateRow],
    key: str | int,
    new: Callable[[], RateRow],
    rate_bps: int | None,
    operator: User,
    now: datetime,
) -> RateRow | None:
    """Upsert (or, with ``None``, remove) one rate row under its row lock."""
    row = await session.get(model, key, with_for_update=True)
    if rate_bps is None:
        if row is not None:
            await session.delete(row)
            await session.flush()
        return None
    _check_bps(rate_bps, ["rateBps"])
    if row is None:
        row = new()
        session.add(row)
    row.rate_bps = rate_bps
    row.updated_at = now
    row.updated_by_id = operator.id
    await session.flush()
    return row


async def set_category_rate(
    session: AsyncSession, category: str, rate_bps: int | None, operator: User, now: datetime
) -> CategoryRate | None:
    """Set a category's rate; ``None`` removes it (the default rate applies)."""
    name = clean_text(category, ["category"], max_len=50)
    return await _set_rate(
        session, CategoryRate, name, lambda: CategoryRate(category=name), rate_bps, operator, now
    )


async def set_product_rate(
    session: AsyncSession, product_id: int, rate_bps: int | None, operator: User, now: datetime
) -> ProductRate | None:
    """Set a product's own rate; ``None`` removes it (its category's applies).
    The caller checks that the product exists (products live in fulfilment)."""
    return await _set_rate(
        session,
        ProductRate,
        product_id,
        lambda: ProductRate(product_id=product_id),
        rate_bps,
        operator,
        now,
    )


async def set_level(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    min_monthly_sales_fen: int,
    bonus_bps: int,
    now: datetime,
) -> LeaderLevel:
    """Create or change the level ``code``. Leaders move between levels when
    levels are next computed."""
    code = clean_text(code, ["code"], max_len=32, code=CommissionErrorCode.INVALID_LEVEL)
    name = clean_text(name, ["name"], max_len=50, code=CommissionErrorCode.INVALID_LEVEL)
    _check_bps(bonus_bps, ["bonusBps"])
    if min_monthly_sales_fen < 0:
        raise DomainError(
            CommissionErrorCode.INVALID_LEVEL,
            "A level's threshold is a non-negative amount of fen.",
            ["minMonthlySalesFen"],
        )
    clash = await session.scalar(
        select(LeaderLevel.code).where(
            LeaderLevel.min_monthly_sales_fen == min_monthly_sales_fen, LeaderLevel.code != code
        )
    )
    if clash is not None:
        raise DomainError(
            CommissionErrorCode.INVALID_LEVEL,
            f"Level {clash!r} already starts at this threshold.",
            ["minMonthlySalesFen"],
        )
    level = (
        await session.execute(select(LeaderLevel).where(LeaderLevel.code == code).with_for_update())
    ).scalar_one_or_none()
    if level is None:
        level = LeaderLevel(code=code)
        session.add(level)
    level.name = name
    level.min_monthly_sales_fen = min_monthly_sales_fen
    level.bonus_bps = bonus_bps
    level.updated_at = now
    await session.flush()
    return level
