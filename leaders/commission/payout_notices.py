"""What a leader is told when a payout reaches them: by the operator
marking an exported batch paid (the bank paid it), or by WeChat Pay
reporting the transfer a success. Written in that change's transaction,
one batched insert for the whole batch (kernel/notifications.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.money import yuan
from kernel.notifications import Gateway, Note, notify_each
from leaders.commission.models import Payout
from leaders.points.models import Leader

PAID_KIND = "payout.paid"


async def tell_payouts_paid(
    session: AsyncSession, payout_ids: Sequence[int], gateway: Gateway | None = None
) -> int:
    """Each paid payout's payee (the leader, or the grid operator who asked)
    hears that the money was sent, once per payout."""
    if not payout_ids:
        return 0
    rows = await session.execute(
        select(
            Payout.id,
            Payout.transfer_fen,
            Payout.batch_id,
            Leader.id,
            func.coalesce(Leader.user_id, Payout.payee_user_id),
        )
        .outerjoin(Leader, Leader.id == Payout.leader_id)
        .where(Payout.id.in_(payout_ids))
        .order_by(Payout.id)
    )
    notes = [
        Note(
            user_id=user_id,
            title="提现已到账",
            body=f"您的提现 ¥{yuan(fen)} 已打款，请留意银行卡或微信零钱到账。",
            data={
                "payout_id": payout_id,
                "batch_id": batch_id,
                "leader_id": leader_id,
                "transfer_fen": fen,
            },
        )
        for payout_id, fen, batch_id, leader_id, user_id in rows
    ]
    return await notify_each(session, kind=PAID_KIND, notes=notes, gateway=gateway)
