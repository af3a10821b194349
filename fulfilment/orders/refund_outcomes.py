"""What the provider says about a refund, applied to its row: the answer to
sending it, the answer to asking about it, and the refund notification all
land here, so a refund moves by one set of rules whichever word arrives
first. A refund's out_refund_no at WeChat Pay is its id (and, once an
operator had it sent again, the resend's number)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Refund, RefundState
from fulfilment.orders.notices import tell_refund_returned
from kernel.errors import DomainError, NotFound
from kernel.wechatpay.models import Refund as ProviderRefund

log = logging.getLogger(__name__)

# A refund the provider accepted and has not yet told us about is asked
# about after this long (its notification may have been lost).
POLL = timedelta(minutes=10)
# Sent but still unanswered after failures: waits this long, doubling, capped.
BACKOFF_FIRST, BACKOFF_CAP = timedelta(seconds=30), timedelta(hours=1)

FINAL = (RefundState.SUCCESS,)
PROVIDER_STATES = {
    "PROCESSING": RefundState.PROCESSING,
    "SUCCESS": RefundState.SUCCESS,
    "ABNORMAL": RefundState.ABNORMAL,
    "CLOSED": RefundState.CLOSED,
}
PROVIDER_REASONS = {
    "ABNORMAL": "The payer's account could not take the money back "
    "(a closed card or a frozen balance); WeChat Pay holds it.",
    "CLOSED": "WeChat Pay closed the refund without paying it.",
}
CASH = "returned in cash by the leader"


def out_refund_no(refund_id: int, resend_no: int = 0) -> str:
    """The refund's number at WeChat Pay: sending it again with the same
    number is the same refund there, so a crash between sending and
    recording never pays twice; a resend an operator asked for after the
    provider closed it gets a number of its own."""
    return str(refund_id) if resend_no == 0 else f"{refund_id}-{resend_no}"


def parse_out_refund_no(number: str) -> tuple[int, int] | None:
    """(refund id, resend number) of an out_refund_no, or None if not ours."""
    head, _, tail = number.partition("-")
    if not head.isdigit() or (tail and not tail.isdigit()) or len(number) > 64:
        return None
    return int(head), int(tail or 0)


def backoff(attempts: int) -> timedelta:
    """How long a refund that failed to go out ``attempts`` times waits."""
    doubled: timedelta = BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16)
    return min(doubled, BACKOFF_CAP)


@dataclass(frozen=True)
class Applied:
    """What one provider answer did to a refund."""

    refund_id: int
    state: RefundState | None  # the state now; None: no such refund
    changed: bool
    refused: str | None = None  # why the answer was not believed


async def apply_provider_refund(
    session: AsyncSession, answer: ProviderRefund, now: datetime
) -> Applied:
    """Record what the provider says about one of our refunds. An answer
    for another resend, another amount or an unknown number changes
    nothing (and says why); SUCCESS is final; a repeated answer is a no-op."""
    parsed = parse_out_refund_no(answer.out_refund_no)
    refund = None if parsed is None else await session.get(Refund, parsed[0], with_for_update=True)
    if parsed is None or refund is None:
        return Applied(parsed[0] if parsed else 0, None, False, "unknown out_refund_no")
    if parsed[1] != refund.resend_no:
        return Applied(refund.id, refund.state, False, "an earlier sending of this refund")
    if answer.refund != refund.amount_fen:
        log.error(
            "refund %s: WeChat Pay says %s fen, we booked %s",
            refund.id,
            answer.refund,
            refund.amount_fen,
        )
        return Applied(refund.id, refund.state, False, "amount differs")
    state = PROVIDER_STATES.get(answer.status)
    if state is None:
        return Applied(refund.id, refund.state, False, f"unknown status {answer.status}")
    if refund.state in FINAL:
        return Applied(refund.id, refund.state, False)
    if refund.state is state and refund.provider_refund_id == answer.refund_id:
        if state is RefundState.PROCESSING:  # asked, and still on its way
            refund.next_attempt_at = now + POLL
        return Applied(refund.id, refund.state, False)
    refund.state, refund.provider_refund_id = state, answer.refund_id
    refund.sent_at = refund.sent_at or now
    refund.provider_reason = PROVIDER_REASONS.get(answer.status)
    refund.next_attempt_at = now + POLL if state is RefundState.PROCESSING else None
    if state is RefundState.SUCCESS:
        refund.succeeded_at = now
        # Once: SUCCESS is final, so a repeated answer returns above.
        await tell_refund_returned(session, refund, cash=False)
    return Applied(refund.id, state, True)


async def settle_in_cash(session: AsyncSession, refund_id: int, now: datetime) -> None:
    """A refund of an order paid in cash (no WeChat payment to return): the
    leader hands it back, and their settlement counts it (cash held)."""
    refund = await session.get(Refund, refund_id, with_for_update=True)
    if refund is not None and refund.state is RefundState.PENDING:
        refund.state, refund.succeeded_at = RefundState.SUCCESS, now
        refund.provider_reason, refund.next_attempt_at = CASH, None
        await tell_refund_returned(session, refund, cash=True)


async def record_failure(
    session: AsyncSession, refund_id: int, reason: str, now: datetime, *, final: bool
) -> None:
    """Sending or asking failed. ``final``: the provider refused the request
    itself (sending it again changes nothing): ABNORMAL, for an operator.
    Otherwise the refund keeps its state and waits its backoff."""
    refund = await session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.state in FINAL:
        return
    refund.provider_reason = reason[:500]
    if final:
        refund.state, refund.next_attempt_at = RefundState.ABNORMAL, None
    else:
        refund.next_attempt_at = now + backoff(refund.attempts)


async def retry_refund(session: AsyncSession, refund_id: int, now: datetime) -> Refund:
    """An operator's "try again": a refund waiting its backoff is sent at the
    next run, one the provider is processing is asked about, and one it
    closed or found abnormal is sent again under a new out_refund_no. A
    refund already back with the payer cannot be retried."""
    refund = await session.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise NotFound("Refund", ["refundId"])
    if refund.state in FINAL:
        raise DomainError(
            OrderErrorCode.REFUND_NOT_RETRYABLE,
            "This refund is already back with the payer.",
            ["refundId"],
        )
    if refund.state in (RefundState.ABNORMAL, RefundState.CLOSED):
        refund.resend_no += 1
        refund.state, refund.provider_refund_id, refund.sent_at = RefundState.PENDING, None, None
    refund.next_attempt_at = now
    return refund
