"""Payout batches sent by WeChat Pay's transfer to balance (商家转账到零钱),
the alternative to the bank file: the database side. The job that talks to
WeChat Pay (leaders/commission/transfer_jobs.py) calls these between its
HTTP calls, one short transaction each; none is held open across a call.

batch:  (exported) ──send──▶ sending ──accepted──▶ processing ──all final──▶ finished
                                 └──refused (nothing created)──────────────▶ finished
payout: approved ──▶ transfer sending → init / wait_pay / processing ─┬─ success: paid
                                                                       └─ fail: failed

A failed transfer (or a refused batch) gives the payout's amount and fee
back to the balance exactly as a rejection does (``payouts.return_to_balance``),
with WeChat Pay's reason. Our numbers come from our ids: ``out_batch_no``
from the batch's, ``out_detail_no`` from the payout's, so sending again is
the same batch at WeChat Pay and never a second payment. Each transfer goes
to the openid fixed when the operator sent the batch (the leader's
``wechat_identities`` row under the merchant's appid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import User
from kernel.errors import DomainError, NotFound
from kernel.identity.models import WechatIdentity
from kernel.wechatpay.models import TransferBatch
from leaders.applications.errors import LeaderErrorCode
from leaders.commission.errors import CommissionErrorCode
from leaders.commission.models import (
    BatchTransferStatus,
    Payout,
    PayoutBatch,
    PayoutStatus,
    PayoutTransferStatus,
)
from leaders.commission.payout_notices import tell_payouts_paid
from leaders.commission.payouts import export_batch, return_to_balance
from leaders.points.models import Leader

# WeChat Pay takes at most 1,000 transfers in one batch.
MAX_TRANSFERS = 1000
BATCH_NAME = "团长佣金提现"
TRANSFER_REMARK = "团长佣金提现"
_OPEN = {
    "INIT": PayoutTransferStatus.INIT,
    "WAIT_PAY": PayoutTransferStatus.WAIT_PAY,
    "PROCESSING": PayoutTransferStatus.PROCESSING,
}


def out_batch_no(batch_id: int) -> str:
    """Our number for a batch at WeChat Pay (letters and digits, ≤ 32)."""
    return f"TGPB{batch_id}"


def out_detail_no(payout_id: int) -> str:
    """Our number for one payout's transfer at WeChat Pay."""
    return f"TGPO{payout_id}"


async def _locked_batch(session: AsyncSession, batch_id: int) -> PayoutBatch:
    batch = (
        await session.execute(
            select(PayoutBatch)
            .where(PayoutBatch.id == batch_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound("Payout batch", ["id"])
    return batch


async def _open_payouts(session: AsyncSession, batch_id: int) -> Sequence[Payout]:
    """The batch's payouts still waiting for their transfer, locked."""
    return (
        (
            await session.execute(
                select(Payout)
                .where(Payout.batch_id == batch_id, Payout.status == PayoutStatus.APPROVED)
                .order_by(Payout.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )


async def _openids(
    session: AsyncSession, batch_id: int, appid: str
) -> list[tuple[int, str, str | None]]:
    """(payout id, payee, openid or None) of the batch's approved payouts:
    the leader's openid, or that of the grid operator who asked for a grid's;
    the payee as "leader <id>" or "grid <id>"."""
    user_id = func.coalesce(Leader.user_id, Payout.payee_user_id)
    openid = (
        select(WechatIdentity.openid)
        .where(WechatIdentity.user_id == user_id, WechatIdentity.appid == appid)
        .order_by(WechatIdentity.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Payout.id, Payout.leader_id, Payout.grid_id, openid)
        .outerjoin(Leader, Leader.id == Payout.leader_id)
        .where(Payout.batch_id == batch_id, Payout.status == PayoutStatus.APPROVED)
        .order_by(Payout.id)
    )
    return [
        (int(p), f"leader {leader}" if leader is not None else f"grid {grid}", o)
        for p, leader, grid, o in rows
    ]


async def send_by_transfer(
    session: AsyncSession, batch_id: int | None, operator: User, appid: str, now: datetime
) -> PayoutBatch:
    """Mark a batch (``None``: a new one of every approved payout) to be sent
    by transfer; the caller queues the job that sends it. A batch already
    sent is returned as it is. Refused, changing nothing, when WeChat Pay is
    off (empty ``appid``), the batch was paid by bank, or any of its leaders
    has no openid under ``appid`` (LEADER_NOT_WECHAT: the bank file still
    pays them)."""
    if not appid:
        raise DomainError(
            CommissionErrorCode.TRANSFER_UNAVAILABLE, "WeChat Pay is not configured.", ["id"]
        )
    if batch_id is None:
        batch = await export_batch(session, operator, now)
    else:
        batch = await _locked_batch(session, batch_id)
    if batch.transfer_status is not None:
        return batch
    if batch.paid_at is not None:
        raise DomainError(LeaderErrorCode.INVALID_STATUS, "This batch is already paid.", ["id"])
    rows = await _openids(session, batch.id, appid)
    if not rows:
        raise DomainError(CommissionErrorCode.NOTHING_TO_EXPORT, "No approved payout is in it.")
    missing = sorted({payee for _, payee, openid in rows if openid is None})
    if missing:
        raise DomainError(
            CommissionErrorCode.LEADER_NOT_WECHAT,
            f"{len(missing)} payee(s) never signed in with WeChat under the merchant's "
            f"appid ({', '.join(missing[:20])}); pay this batch by the "
            "bank file, or take their payouts out.",
            ["id"],
        )
    if len(rows) > MAX_TRANSFERS:
        raise DomainError(
            CommissionErrorCode.BATCH_TOO_LARGE,
            f"WeChat Pay takes at most {MAX_TRANSFERS} transfers in a batch.",
            ["id"],
        )
    by_id = {payout_id: openid for payout_id, _, openid in rows}
    for payout in await _open_payouts(session, batch.id):
        payout.transfer_status = PayoutTransferStatus.SENDING
        payout.transfer_openid = by_id[payout.id]
    batch.transfer_status = BatchTransferStatus.SENDING
    batch.out_batch_no = out_batch_no(batch.id)
    batch.transfer_requested_at = now
    batch.transfer_requested_by_id = operator.id
    await session.flush()
    return batch


@dataclass(frozen=True)
class TransferOrder:
    """What to send WeChat Pay for a batch: the same every time it is asked."""

    batch_id: int
    out_batch_no: str
    batch_name: str
    batch_remark: str
    details: list[tuple[str, int, str, str]]  # out_detail_no, fen, openid, remark


async def transfer_order(session: AsyncSession, batch_id: int) -> TransferOrder | None:
    """The batch's transfers, or ``None`` when it is not waiting to be sent."""
    batch = await session.get(PayoutBatch, batch_id, populate_existing=True)
    if batch is None or batch.transfer_status is not BatchTransferStatus.SENDING:
        return None
    assert batch.out_batch_no is not None
    payouts = (
        await session.execute(
            select(Payout.id, Payout.transfer_fen, Payout.transfer_openid)
            .where(Payout.batch_id == batch_id, Payout.transfer_openid.is_not(None))
            .order_by(Payout.id)
        )
    ).all()
    return TransferOrder(
        batch_id=batch_id,
        out_batch_no=batch.out_batch_no,
        batch_name=BATCH_NAME,
        batch_remark=f"批次{batch_id}",
        details=[(out_detail_no(p), int(fen), str(o), TRANSFER_REMARK) for p, fen, o in payouts],
    )


async def record_accepted(session: AsyncSession, batch_id: int, wechat_batch_id: str) -> None:
    """WeChat Pay has the batch: its transfers are now tracked."""
    batch = await _locked_batch(session, batch_id)
    if batch.transfer_status is not BatchTransferStatus.SENDING:
        return
    batch.transfer_status = BatchTransferStatus.PROCESSING
    batch.transfer_batch_id = wechat_batch_id
    batch.transfer_error = None
    for payout in await _open_payouts(session, batch_id):
        payout.transfer_status = PayoutTransferStatus.INIT
    await session.flush()


async def record_problem(session: AsyncSession, batch_id: int, problem: str) -> None:
    """Keep the last problem met (provider down, …) for the operator to see."""
    batch = await _locked_batch(session, batch_id)
    batch.transfer_error = problem[:2000]
    await session.flush()


async def fail_payout(session: AsyncSession, payout: Payout, reason: str, now: datetime) -> None:
    """The transfer failed: the money goes back as a rejection's does."""
    await return_to_balance(session, payout, now)
    payout.status = PayoutStatus.FAILED
    payout.transfer_status = PayoutTransferStatus.FAIL
    payout.reason = reason[:500]
    payout.failed_at = now


async def record_refused(session: AsyncSession, batch_id: int, reason: str, now: datetime) -> None:
    """WeChat Pay refused the batch and holds none of it: every payout in it
    fails with the reason, its money back in the balance."""
    batch = await _locked_batch(session, batch_id)
    if batch.transfer_status is not BatchTransferStatus.SENDING:
        return
    for payout in await _open_payouts(session, batch_id):
        await fail_payout(session, payout, reason, now)
    batch.transfer_status = BatchTransferStatus.FINISHED
    batch.transfer_error = reason[:2000]
    batch.transfer_finished_at = now
    await session.flush()


@dataclass(frozen=True)
class Tracked:
    """Where a batch's transfers stand after an outcome was recorded."""

    paid: int
    failed: int
    open: int


async def batch_number(session: AsyncSession, batch_id: int) -> str | None:
    """The batch's out_batch_no, once it was sent by transfer."""
    number: str | None = await session.scalar(
        select(PayoutBatch.out_batch_no).where(PayoutBatch.id == batch_id)
    )
    return number


async def open_details(session: AsyncSession, batch_id: int) -> set[str]:
    """The out_detail_nos of the batch's transfers not yet final here."""
    ids = await session.scalars(
        select(Payout.id).where(Payout.batch_id == batch_id, Payout.status == PayoutStatus.APPROVED)
    )
    return {out_detail_no(i) for i in ids}


async def apply_outcomes(
    session: AsyncSession,
    batch_id: int,
    answer: TransferBatch,
    reasons: dict[str, str],
    now: datetime,
) -> Tracked:
    """Record what WeChat Pay's batch query said: SUCCESS pays a payout,
    FAIL (with ``reasons[out_detail_no]``) fails it and returns its money;
    others only note the state. A CLOSED batch fails what it left open.
    Each payout changes once: only approved ones are read, under lock."""
    batch = await _locked_batch(session, batch_id)
    if batch.transfer_status is BatchTransferStatus.FINISHED:
        return Tracked(0, 0, 0)
    batch.transfer_status = BatchTransferStatus.PROCESSING
    batch.transfer_batch_id = answer.batch_id
    details = {d.out_detail_no: d for d in answer.details}
    paid_ids: list[int] = []
    failed = still = 0
    for payout in await _open_payouts(session, batch_id):
        detail = details.get(out_detail_no(payout.id))
        if detail is not None:
            payout.transfer_detail_id = detail.detail_id or payout.transfer_detail_id
        status = detail.status if detail is not None else None
        if status == "SUCCESS":
            payout.status = PayoutStatus.PAID
            payout.transfer_status = PayoutTransferStatus.SUCCESS
            payout.paid_at = now
            paid_ids.append(payout.id)
        elif status == "FAIL" or answer.status == "CLOSED":
            why = reasons.get(out_detail_no(payout.id)) if status == "FAIL" else None
            await fail_payout(session, payout, why or answer.close_reason or "FAIL", now)
            failed += 1
        else:
            payout.transfer_status = _OPEN.get(status or "", payout.transfer_status)
            still += 1
    if still == 0:
        batch.transfer_status = BatchTransferStatus.FINISHED
        batch.transfer_finished_at = now
    await session.flush()
    await tell_payouts_paid(session, paid_ids)
    return Tracked(len(paid_ids), failed, still)


async def open_batches(session: AsyncSession) -> list[int]:
    """Batches sent by transfer and not finished, oldest first."""
    ids = await session.scalars(
        select(PayoutBatch.id)
        .where(
            PayoutBatch.transfer_status.in_(
                [BatchTransferStatus.SENDING, BatchTransferStatus.PROCESSING]
            )
        )
        .order_by(PayoutBatch.id)
    )
    return list(ids)
