"""The shape every mutation shares: one transaction, domain errors become
UserErrors and roll everything back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.graphql.audit.hook import record_change, will_record
from api.graphql.context import Context
from api.graphql.errors import UserError, user_error
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.refund_cap import exceeds_paid
from kernel.db import unit_of_work
from kernel.errors import DomainError

R = TypeVar("R")


U = TypeVar("U", AsyncSession, AsyncConnection)


Unit = AsyncSession | AsyncConnection


async def in_transaction(
    ctx: Context, work: Callable[[AsyncSession], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    """Run ``work`` in its own unit of work. A DomainError anywhere in it
    rolls the whole transaction back and is returned as a UserError."""
    return await _in_unit(ctx, unit_of_work(ctx.sessions), work)


async def in_plain_transaction(
    ctx: Context, work: Callable[[Unit], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    """``in_transaction`` for work that needs no ORM: on PostgreSQL it gets a
    bare pooled connection instead of a session, with SQLAlchemy's
    transaction around it (statements through SQLAlchemy share it; one sent
    straight to the driver before any of those is a transaction of its own).
    For the evening rush's orderCreate, whose work is that one statement: the
    session, its transaction object and its commit cost a tenth of the
    request's CPU. On SQLite the work gets a session as usual (its one-hop
    path needs one)."""
    if ctx.settings.is_sqlite:
        return await in_transaction(ctx, work)
    return await _in_unit(ctx, ctx.engine.begin(), work)


async def in_one_statement(
    ctx: Context, work: Callable[[AsyncSession], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    """``in_transaction`` for work that sends one statement, or only reads:
    on PostgreSQL its session is in autocommit, each statement a transaction
    of its own, which a single statement is anyway; that spares the BEGIN
    and COMMIT round trips around it. For orderPay, run for every order of
    the evening: while paying, write() to PostgreSQL's socket was 38 % of
    the API's samples on this 2-core machine (docs/wechatpay.md,
    Throughput). Where the audit log writes beside the work, or on SQLite,
    a transaction as usual."""
    if ctx.statement_sessions is None or will_record(ctx.audit_note, ctx.viewer):
        return await in_transaction(ctx, work)
    return await _in_unit(ctx, unit_of_work(ctx.statement_sessions), work)


REFUSED_BEYOND_PAID = DomainError(
    OrderErrorCode.REFUND_EXCEEDS_PAID,
    "Refunds of this order would pass what was paid for it; nothing was booked.",
)


async def _in_unit(
    ctx: Context, unit: AbstractAsyncContextManager[U], work: Callable[[U], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    await ctx.release_reads()
    try:
        async with unit as db:
            result = await work(db)
            await record_change(db, ctx.audit_note, ctx.viewer, result)
    except DomainError as exc:
        return None, [user_error(exc)]
    except IntegrityError as exc:
        if not exceeds_paid(exc):
            raise
        # The database's last word on money (refund_cap.py): a check above
        # it raced another refund of the same order and lost.
        return None, [user_error(REFUSED_BEYOND_PAID)]
    await ctx.release_reads()
    return result, []
