"""Jobs that send payout batches by WeChat Pay transfer and track them
(leaders/commission/transfers.py has the database side).

``payouts.transfer`` (one per batch, queued by the operator's send, keyed
by the batch): send the batch, retrying network errors and 5xx with
backoff, then query it every ``poll_every_s`` until every transfer is final
or ``poll_for_s`` has passed. ``payouts.transfers_due`` (every 5 minutes):
for each batch not finished, send it again if it was never accepted and
query it once, so a batch whose job gave up, or that WeChat Pay takes
hours over, is finished in the end.

Sending again is always safe: the same out_batch_no is the same batch at
WeChat Pay. No transaction is open during an HTTP call: each read and each
recorded answer is its own ``ctx.step()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.jobs.models import JobStatus
from kernel.jobs.registry import JobContext, job_handler, periodic
from kernel.jobs.service import job_by_key
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import WechatPayError, WechatPayRefused, WechatPayUnavailable
from kernel.wechatpay.models import TransferBatch
from kernel.wechatpay.provider import payment_provider
from leaders.commission import transfers
from leaders.commission.errors import CommissionErrorCode

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSFER = "payouts.transfer"


TRANSFERS_DUE = "payouts.transfers_due"


periodic(TRANSFERS_DUE, every_s=300)


@dataclass(frozen=True)
class Timing:
    """How patient the jobs are (tests make it quick)."""

    # Waits before each new attempt after a network error or 5xx.
    retry_delays_s: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    poll_every_s: float = 2.0
    # Then the five-minute sweep takes the batch over.
    poll_for_s: float = 120.0


TIMING = Timing()


def transfer_key(batch_id: int) -> str:
    """The job key of a batch's transfer: one job per batch."""
    return f"{TRANSFER}:{batch_id}"


async def _retrying(call: Callable[[], Awaitable[T]], timing: Timing) -> T:
    """``call()``, again after each wait while WeChat Pay is unavailable;
    the last failure is raised when the waits run out."""
    for delay in timing.retry_delays_s:
        try:
            return await call()
        except WechatPayUnavailable as exc:
            log.warning("WeChat Pay unavailable (%s); again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
    return await call()


async def _existing(client: WechatPayClient, number: str, timing: Timing) -> TransferBatch | None:
    """The batch at WeChat Pay, or ``None`` when it holds none by that number."""
    try:
        return await _retrying(lambda: client.query_transfer_batch(number), timing)
    except WechatPayRefused as exc:
        if exc.status == 404:
            return None
        raise


async def send(ctx: JobContext, client: WechatPayClient, batch_id: int, timing: Timing) -> str:
    """Send the batch if it waits to be sent; what happened, in a word."""
    async with ctx.step() as session:
        order = await transfers.transfer_order(session, batch_id)
    if order is None:
        return "not waiting"
    try:
        answer = await _retrying(
            lambda: client.transfer_batch(
                out_batch_no=order.out_batch_no,
                batch_name=order.batch_name,
                batch_remark=order.batch_remark,
                details=order.details,
            ),
            timing,
        )
    except WechatPayRefused as refused:
        # Refused now, but an earlier attempt may have got through (its
        # answer lost): only a batch WeChat Pay does not hold is given back.
        held = await _existing(client, order.out_batch_no, timing)
        if held is None:
            async with ctx.step() as session:
                reason = f"{refused.code}: {refused.message}"
                await transfers.record_refused(session, batch_id, reason, utcnow())
            return "refused"
        answer = held
    except WechatPayUnavailable as exc:
        async with ctx.step() as session:
            await transfers.record_problem(session, batch_id, f"WeChat Pay unavailable: {exc}")
        raise
    async with ctx.step() as session:
        await transfers.record_accepted(session, batch_id, answer.batch_id)
    return "accepted"


async def track(
    ctx: JobContext, client: WechatPayClient, batch_id: int, timing: Timing
) -> transfers.Tracked:
    """Query the batch once and record every transfer that became final."""
    async with ctx.step() as session:
        waiting = await transfers.open_details(session, batch_id)
        number = await transfers.batch_number(session, batch_id)
    if not waiting or number is None:
        return transfers.Tracked(0, 0, 0)
    answer = await _retrying(lambda: client.query_transfer_batch(number), timing)
    reasons: dict[str, str] = {}
    for detail in answer.details:
        if detail.status == "FAIL" and detail.out_detail_no in waiting:
            ask = partial(client.query_transfer_detail, number, detail.out_detail_no)
            one = await _retrying(ask, timing)
            reasons[detail.out_detail_no] = one.fail_reason or "FAIL"
    async with ctx.step() as session:
        return await transfers.apply_outcomes(session, batch_id, answer, reasons, utcnow())


@job_handler(TRANSFER)
async def transfer_batch(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one batch and follow it until its transfers are final (or the
    sweep takes over)."""
    batch_id = int(payload["batch_id"])
    timing = TIMING
    async with payment_provider() as client:
        if client is None:
            raise DomainError(
                CommissionErrorCode.TRANSFER_UNAVAILABLE, "WeChat Pay is not configured."
            )
        sent = await send(ctx, client, batch_id, timing)
        await ctx.report(0.3, f"batch {sent}")
        deadline = time.monotonic() + timing.poll_for_s
        paid = failed = 0
        while True:
            tracked = await track(ctx, client, batch_id, timing)
            paid, failed = paid + tracked.paid, failed + tracked.failed
            if tracked.open == 0 or time.monotonic() >= deadline:
                break
            await asyncio.sleep(timing.poll_every_s)
    left = tracked.open
    return {"batch_id": batch_id, "sent": sent, "paid": paid, "failed": failed, "open": left}


async def _followed(session: AsyncSession, batch_id: int) -> bool:
    """Whether the batch's own transfer job still has it: the sweep sending
    it at the same time would ask WeChat Pay twice."""
    job = await job_by_key(session, transfer_key(batch_id))
    return job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING)


@job_handler(TRANSFERS_DUE)
async def transfers_due(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Every batch not finished: sent again if never accepted, queried once.
    One batch's trouble does not stop the others."""
    async with payment_provider() as client:
        if client is None:
            return {"skipped": "WeChat Pay is off"}
        async with ctx.step() as session:
            batch_ids = [
                b for b in await transfers.open_batches(session) if not await _followed(session, b)
            ]
        quick = Timing(retry_delays_s=(), poll_every_s=0, poll_for_s=0)
        problems: dict[str, str] = {}
        for batch_id in batch_ids:
            try:
                await send(ctx, client, batch_id, quick)
                await track(ctx, client, batch_id, quick)
            except WechatPayError as exc:
                log.warning("payout batch %s: %s", batch_id, exc)
                problems[str(batch_id)] = str(exc)[:200]
    return {"batches": len(batch_ids), "problems": problems}
