"""The shape every mutation shares: one transaction, domain errors become
UserErrors and roll everything back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Context
from api.errors import UserError, user_error
from kernel.db import unit_of_work
from kernel.errors import DomainError

R = TypeVar("R")


async def in_transaction(
    ctx: Context, work: Callable[[AsyncSession], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    """Run ``work`` in its own unit of work. A DomainError anywhere in it
    rolls the whole transaction back and is returned as a UserError."""
    try:
        async with unit_of_work(ctx.sessions) as session:
            result = await work(session)
    except DomainError as exc:
        return None, [user_error(exc)]
    await ctx.after_write()
    return result, []
