"""Jobs of orders: the periodic expiry of unpaid orders, with WeChat Pay
asked first about the orders it may have been paid for, and told after to
close the payments of the orders that expired (provider_check.py); and the
refund sender, every half minute (refund_sending.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fulfilment.orders.expiry import expire_unpaid
from fulfilment.orders.provider_check import ProviderCalls, book_found_payments, close_expired
from fulfilment.orders.refund_sending import send_due_refunds
from kernel.clock import utcnow
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.wechatpay.provider import payment_provider

EXPIRE_UNPAID = "orders.expire_unpaid"
SEND_REFUNDS = "refunds.send"


periodic(EXPIRE_UNPAID, every_s=60)
# A refund booked reaches the provider within half a minute.
periodic(SEND_REFUNDS, every_s=30)


async def _expire(ctx: JobContext, now: datetime) -> int:
    """Expire every order due by ``now``, one transaction per batch."""
    expired = 0
    while True:
        async with ctx.step() as session:
            count = await expire_unpaid(session, now)
        expired += count
        await ctx.report(0.5 if count else 1.0, f"{expired} orders expired")
        if count == 0:
            return expired


@job_handler(EXPIRE_UNPAID)
async def expire_unpaid_orders(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Expire overdue unpaid orders in batches, one transaction per batch.
    With WeChat Pay on, the due orders it has a prepay of are asked about
    first (a payment whose notification was lost is booked: the order is
    paid, not expired), and the expired orders' payments are closed there
    once their expiry has committed. Off or unreachable, orders expire as
    ever (their units must go back); the closes wait for a later run."""
    # One instant for the run: the orders asked about are the ones expired.
    now = utcnow()
    async with payment_provider() as client:
        if client is None:
            return {"expired": await _expire(ctx, now)}
        calls = ProviderCalls(client)
        found_paid = await book_found_payments(ctx.sessions, calls, now)
        await ctx.report(0.1, f"{found_paid} orders found paid at WeChat Pay")
        expired = await _expire(ctx, now)
        closed = await close_expired(ctx.sessions, calls)
    await ctx.report(1.0, f"{expired} orders expired, {closed} closed at WeChat Pay")
    return {"expired": expired, "found_paid": found_paid, "closed_at_provider": closed}


@job_handler(SEND_REFUNDS)
async def send_refunds(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Send the due refunds to WeChat Pay, ask about the ones it has not
    answered, and settle the refunds of cash-paid orders."""
    claim = timedelta(seconds=ctx.settings.refund_claim_s)
    async with payment_provider() as client:
        report = await send_due_refunds(ctx.sessions, client, utcnow(), claim=claim)
    await ctx.report(1.0, f"{report.sent} sent, {report.succeeded} succeeded")
    return report.as_dict()
