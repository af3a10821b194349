"""After-sale (售后): refunds of collected goods.

A customer asks for some units of a line of their collected order back,
with a reason (and photos of the problem, by URL), within ``window`` of the
pickup (customers judge goods once they have them; an order completed
automatically counts from then). The units asked for are held: pending and
approved requests together never exceed what the line handed out.

An operator approves or rejects (saying why); requests left unanswered for
``auto_approve_after`` are approved by a periodic job. Approval books a
refund of exactly quantity × the line's unit price, never more than what is
left refundable on the line (units and fen, counting every refund on it:
shortages, delivery issues, earlier after-sale), and reverses the leader's
commission on that share of the line. A quality refund is also charged back
to the supplier at its unit cost on the purchase order the goods came on
(the product's cost when there was none).

Requests and decisions of one order take turns on the order's row lock, so
concurrent approvals cannot refund a unit twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.after_sale.errors import AfterSaleErrorCode
from fulfilment.after_sale.models import (
    AfterSaleReason,
    AfterSaleRequest,
    AfterSaleStatus,
    SupplierChargeback,
)
from fulfilment.campaigns.editing import clean_image_urls
from fulfilment.campaigns.models import Campaign, Product
from fulfilment.orders.models import Order, OrderLine, OrderPickup, PickupLine, Refund, RefundReason
from fulfilment.orders.refunded import mark_refunded
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.db import keyset_page
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.validation import clean_text
from leaders.commission.accrual import reverse

MAX_NOTE = 1000


# Overdue requests approved per step of the job.
AUTO_APPROVE_BATCH = 1000


REFUND_REASONS = {
    AfterSaleReason.QUALITY: RefundReason.AFTER_SALE_QUALITY,
    AfterSaleReason.WRONG_ITEM: RefundReason.AFTER_SALE_WRONG_ITEM,
    AfterSaleReason.MISSING: RefundReason.AFTER_SALE_MISSING,
    AfterSaleReason.OTHER: RefundReason.AFTER_SALE_OTHER,
}


HOLDING = (AfterSaleStatus.PENDING, AfterSaleStatus.APPROVED)


@dataclass(frozen=True)
class Decision:
    request: AfterSaleRequest
    refund: Refund | None
    reversed_fen: int  # commission taken back from the leader
    chargeback: SupplierChargeback | None


async def _lock_order(session: AsyncSession, order_id: int) -> Order:
    return (
        await session.execute(select(Order).where(Order.id == order_id).with_for_update())
    ).scalar_one()


async def request_after_sale(
    session: AsyncSession,
    customer_id: int,
    *,
    order_id: int,
    product_id: int,
    quantity: int,
    reason: AfterSaleReason,
    note: str | None,
    now: datetime,
    window: timedelta,
    photo_urls: Sequence[str] = (),
) -> AfterSaleRequest:
    """The customer asks for ``quantity`` units of the line of ``product_id``
    in their collected order back (with photos by URL, at most ten). Another
    customer's order reads as missing."""
    line = (
        await session.execute(
            select(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.id == order_id,
                Order.customer_id == customer_id,
                OrderLine.product_id == product_id,
            )
        )
    ).scalar_one_or_none()
    if line is None:
        raise NotFound("Order line", ["productId"])
    note = _checked_note(note)
    photos = clean_image_urls(photo_urls, "photoUrls")
    await _lock_order(session, order_id)
    handed = (
        await session.execute(
            select(PickupLine.quantity, OrderPickup.picked_up_at)
            .join(OrderPickup, OrderPickup.id == PickupLine.pickup_id)
            .where(PickupLine.order_line_id == line.id)
        )
    ).one_or_none()
    if handed is None:
        raise DomainError(
            AfterSaleErrorCode.NOT_PICKED_UP,
            "After-sale is for collected goods; this line was not collected.",
            ["productId"],
        )
    handed_units, picked_up_at = handed
    if now > picked_up_at + window:
        raise DomainError(
            AfterSaleErrorCode.WINDOW_CLOSED,
            f"After-sale requests are taken within {_hours(window)} hours of pickup.",
            ["orderId"],
        )
    left = handed_units - await _held(session, line.id)
    if quantity < 1:
        raise DomainError(CommonErrorCode.INVALID, "Ask for at least one unit.", ["quantity"])
    if quantity > left:
        raise DomainError(
            AfterSaleErrorCode.QUANTITY_EXCEEDED,
            f"At most {left} more units of this line can be asked for.",
            ["quantity"],
            remaining=left,
        )
    request = AfterSaleRequest(
        order_id=order_id,
        order_line_id=line.id,
        customer_id=customer_id,
        quantity=quantity,
        reason=reason,
        note=note,
        photo_urls=photos,
        status=AfterSaleStatus.PENDING,
        requested_at=now,
    )
    session.add(request)
    await session.flush()
    return request


async def _held(session: AsyncSession, order_line_id: int) -> int:
    """Units of the line that pending and approved requests hold."""
    held = (
        await session.execute(
            select(func.coalesce(func.sum(AfterSaleRequest.quantity), 0)).where(
                AfterSaleRequest.order_line_id == order_line_id,
                AfterSaleRequest.status.in_(HOLDING),
            )
        )
    ).scalar_one()
    return int(held)


def _hours(window: timedelta) -> int:
    return int(window.total_seconds() // 3600)


def _checked_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(
            CommonErrorCode.INVALID, f"A note has at most {MAX_NOTE} characters.", ["note"]
        )
    return note or None


async def _pending(session: AsyncSession, request_id: int) -> AfterSaleRequest:
    """The request, re-read under its order's lock; still pending."""
    found = await session.get(AfterSaleRequest, request_id)
    if found is None:
        raise NotFound("After-sale request", ["id"])
    await _lock_order(session, found.order_id)
    await session.refresh(found)
    if found.status is not AfterSaleStatus.PENDING:
        raise DomainError(
            AfterSaleErrorCode.ALREADY_DECIDED,
            f"This request was already {found.status.value}.",
            ["id"],
        )
    return found


async def approve_after_sale(
    session: AsyncSession, request_id: int, *, decided_by_id: int | None, now: datetime
) -> Decision:
    """Approve a pending request (``decided_by_id`` None: the overdue job):
    refund, reverse the commission, and charge quality problems back."""
    request = await _pending(session, request_id)
    line = await session.get(OrderLine, request.order_line_id)
    assert line is not None
    refunded = (
        await session.execute(
            select(
                func.coalesce(func.sum(Refund.quantity), 0),
                func.coalesce(func.sum(Refund.amount_fen), 0),
            ).where(Refund.order_id == line.order_id, Refund.order_line_id == line.id)
        )
    ).one()
    units_left = line.quantity - int(refunded[0] or 0)
    amount = request.quantity * line.unit_price_fen
    net_before = line.amount_fen - int(refunded[1])
    if request.quantity > units_left or amount > net_before:
        raise DomainError(
            AfterSaleErrorCode.QUANTITY_EXCEEDED,
            f"Only {units_left} units of this line are left to refund.",
            ["id"],
        )
    refund = Refund(
        order_id=line.order_id,
        order_line_id=line.id,
        quantity=request.quantity,
        amount_fen=amount,
        reason=REFUND_REASONS[request.reason],
        created_by_id=decided_by_id,
        created_at=now,
    )
    session.add(refund)
    await session.flush()
    request.status = AfterSaleStatus.APPROVED
    request.decided_at, request.decided_by_id, request.refund_id = now, decided_by_id, refund.id
    reversed_fen = await reverse(
        session,
        order_line_id=line.id,
        refund_id=refund.id,
        refund_fen=amount,
        line_net_fen_before=net_before,
        now=now,
    )
    # Every unit of the order now refunded: it reads REFUNDED (refunded.py).
    await mark_refunded(session, [line.order_id])
    chargeback = None
    if request.reason is AfterSaleReason.QUALITY:
        chargeback = await _charge_back(session, request, line, refund, now)
    await session.flush()
    return Decision(request, refund, reversed_fen, chargeback)


async def _charge_back(
    session: AsyncSession,
    request: AfterSaleRequest,
    line: OrderLine,
    refund: Refund,
    now: datetime,
) -> SupplierChargeback:
    product = await session.get(Product, line.product_id)
    assert product is not None
    bought = (
        await session.execute(
            select(PurchaseOrder.id, PurchaseOrderLine.unit_cost_fen)
            .join(Campaign, Campaign.warehouse_id == PurchaseOrder.warehouse_id)
            .join(Order, Order.campaign_id == Campaign.id)
            .join(
                PurchaseOrderLine,
                (PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
                & (PurchaseOrderLine.revision == PurchaseOrder.revision),
            )
            .where(
                Order.id == line.order_id,
                PurchaseOrder.supplier_id == product.supplier_id,
                PurchaseOrder.delivery_date == Campaign.delivery_date,
                PurchaseOrderLine.product_id == product.id,
            )
        )
    ).one_or_none()
    po_id, unit_cost = bought if bought is not None else (None, product.cost_fen)
    chargeback = SupplierChargeback(
        supplier_id=product.supplier_id,
        product_id=product.id,
        order_line_id=line.id,
        refund_id=refund.id,
        after_sale_request_id=request.id,
        purchase_order_id=po_id,
        units=request.quantity,
        unit_cost_fen=unit_cost,
        amount_fen=request.quantity * unit_cost,
        created_at=now,
    )
    session.add(chargeback)
    return chargeback


async def reject_after_sale(
    session: AsyncSession, request_id: int, *, operator_id: int, reason: str, now: datetime
) -> Decision:
    """An operator turns a pending request down, saying why."""
    reason = clean_text(reason, ["reason"], max_len=500)
    request = await _pending(session, request_id)
    request.status = AfterSaleStatus.REJECTED
    request.decided_at, request.decided_by_id = now, operator_id
    request.rejection_reason = reason
    await session.flush()
    return Decision(request, None, 0, None)


async def overdue_requests(
    session: AsyncSession, now: datetime, after: timedelta, limit: int = AUTO_APPROVE_BATCH
) -> list[int]:
    """Pending requests unanswered for ``after``, oldest first (the job
    approves each in its own transaction, see ``approve_after_sale``)."""
    rows = await session.execute(
        select(AfterSaleRequest.id)
        .where(
            AfterSaleRequest.status == AfterSaleStatus.PENDING,
            AfterSaleRequest.requested_at <= now - after,
        )
        .order_by(AfterSaleRequest.requested_at, AfterSaleRequest.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def list_after_sale_requests(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    statuses: Sequence[AfterSaleStatus] | None = None,
    after_id: int | None,
    limit: int,
) -> Sequence[AfterSaleRequest]:
    """Requests in id order (keyset pagination), narrowed by the filters."""
    stmt = select(AfterSaleRequest)
    if customer_id is not None:
        stmt = stmt.where(AfterSaleRequest.customer_id == customer_id)
    if statuses:
        stmt = stmt.where(AfterSaleRequest.status.in_(statuses))
    stmt = keyset_page(stmt, AfterSaleRequest.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()


async def list_chargebacks(
    session: AsyncSession, *, supplier_id: int | None, after_id: int | None, limit: int
) -> Sequence[SupplierChargeback]:
    """Supplier chargebacks in id order, of one supplier when given."""
    stmt = select(SupplierChargeback)
    if supplier_id is not None:
        stmt = stmt.where(SupplierChargeback.supplier_id == supplier_id)
    stmt = keyset_page(stmt, SupplierChargeback.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()
