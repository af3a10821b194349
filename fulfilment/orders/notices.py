"""What customers are told about money coming back on their orders: a
notice per order when refunds are booked in bulk (a missed group threshold
at cutoff, a shortage), and one when a refund reaches them (WeChat Pay said
SUCCESS, or the leader handed cash back).

Each is written in the transaction that books the change (kernel/
notifications.py), with one read of the refunds and one batched insert
however many orders; docs/notifications.md lists the kinds and their data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product
from fulfilment.orders.models import Order, OrderLine, Refund, RefundReason
from kernel.money import yuan
from kernel.notifications import Gateway, Note, notify_each

THRESHOLD_MISSED = "order.group_threshold_missed"
SHORTAGE_REFUND = "order.shortage_refund"
REFUND_SUCCEEDED = "refund.succeeded"

# Refund ids per read: well under a statement's bound-parameter limit.
_ID_BATCH = 10_000


@dataclass
class OrderRefunds:
    """The refunds just booked on one order, summed for its customer."""

    order_id: int
    number: str
    customer_id: int
    names: list[str] = field(default_factory=list)
    units: int = 0
    fen: int = 0
    refund_ids: list[int] = field(default_factory=list)

    @property
    def products(self) -> str:
        """「A」、「B」: the products refunded, each once, in booking order."""
        return "、".join(f"「{n}」" for n in dict.fromkeys(self.names))

    def note(self, title: str, body: str) -> Note:
        return Note(
            user_id=self.customer_id,
            title=title,
            body=body,
            data={
                "order_id": self.order_id,
                "order_number": self.number,
                "refund_ids": self.refund_ids,
                "refund_fen": self.fen,
            },
        )


async def refunds_by_order(session: AsyncSession, where: ColumnElement[bool]) -> list[OrderRefunds]:
    """The refunds matching ``where``, grouped per order (in order id order)."""
    rows = await session.execute(
        select(
            Order.id,
            Order.number,
            Order.customer_id,
            Product.name,
            Refund.id,
            Refund.quantity,
            Refund.amount_fen,
        )
        .join(Order, Order.id == Refund.order_id)
        .outerjoin(OrderLine, OrderLine.id == Refund.order_line_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(where)
        .order_by(Order.id, Refund.id)
    )
    orders: dict[int, OrderRefunds] = {}
    for order_id, number, customer_id, name, refund_id, quantity, amount in rows:
        group = orders.setdefault(order_id, OrderRefunds(order_id, number, customer_id))
        if name is not None:
            group.names.append(name)
        group.units += quantity or 0
        group.fen += amount
        group.refund_ids.append(refund_id)
    return list(orders.values())


async def tell_threshold_missed(
    session: AsyncSession, item_ids: Sequence[int], gateway: Gateway | None = None
) -> int:
    """Each customer whose paid lines of ``item_ids`` were cancelled at
    cutoff (未成团) hears it, once per order, with the refund booked."""
    groups = await refunds_by_order(
        session,
        (Refund.reason == RefundReason.GROUP_THRESHOLD_MISSED)
        & OrderLine.campaign_item_id.in_(item_ids),
    )
    notes = [
        g.note(
            "拼团未成团，已退款",
            f"订单 {g.number} 中的{g.products}未达到成团数量，已取消并退款 ¥{yuan(g.fen)}，"
            "款项将原路退回。",
        )
        for g in groups
    ]
    return await notify_each(session, kind=THRESHOLD_MISSED, notes=notes, gateway=gateway)


async def tell_shortage_refunds(
    session: AsyncSession,
    refund_ids: Sequence[int],
    *,
    why: str = "缺货",
    gateway: Gateway | None = None,
) -> int:
    """Each customer with refunds among ``refund_ids`` (a shortage just
    allocated; ``why`` words it: 缺货, 配送缺失, 配送破损) hears it, once per order."""
    notes: list[Note] = []
    for start in range(0, len(refund_ids), _ID_BATCH):
        groups = await refunds_by_order(
            session, Refund.id.in_(refund_ids[start : start + _ID_BATCH])
        )
        notes += [
            g.note(
                f"{why}退款",
                f"订单 {g.number} 中的{g.products}{why} {g.units} 件，已退款 ¥{yuan(g.fen)}，"
                "款项将原路退回。",
            )
            for g in groups
        ]
    return await notify_each(session, kind=SHORTAGE_REFUND, notes=notes, gateway=gateway)


async def tell_refund_returned(
    session: AsyncSession, refund: Refund, *, cash: bool, gateway: Gateway | None = None
) -> int:
    """The order's customer hears that ``refund`` is back with them."""
    order = await session.get(Order, refund.order_id)
    if order is None:  # a refund's order is a foreign key: cannot happen
        return 0
    where = "已由团长以现金退还给您" if cash else "已原路退回您的微信支付账户"
    note = Note(
        user_id=order.customer_id,
        title="退款已到账",
        body=f"订单 {order.number} 的退款 ¥{yuan(refund.amount_fen)} {where}。",
        data={
            "order_id": order.id,
            "order_number": order.number,
            "refund_id": refund.id,
            "refund_fen": refund.amount_fen,
            "cash": cash,
        },
    )
    return await notify_each(session, kind=REFUND_SUCCEEDED, notes=[note], gateway=gateway)
