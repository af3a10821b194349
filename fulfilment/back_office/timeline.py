"""An order's timeline for the service desk: everything that happened to it,
read from the rooms that recorded it, in time order.

A room of its own because it reads the others (after-sale, delivery and
routing, the commission ledger, the audit log), which themselves import
orders: kept in ``fulfilment.orders`` it would close an import cycle.

One query per source, whatever the number of lines; every timestamp is the
one its room recorded for the event itself (UTC), not when a row was
copied: a delivery is the driver's hand-over, a signature the leader's, a
commission entry its booking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.after_sale.models import AfterSaleRequest, AfterSaleStatus
from fulfilment.campaigns.models import Campaign
from fulfilment.delivery.models import DeliveryReceipt
from fulfilment.orders.models import (
    CashPayment,
    Order,
    OrderLine,
    OrderLineShortfall,
    OrderPickup,
    OrderStatus,
    PaymentNotification,
    PaymentOutcome,
    Refund,
)
from fulfilment.routing.models import RoutePlan, RoutePlanStatus, RouteStop
from kernel.audit import AuditEvent
from kernel.errors import NotFound
from leaders.commission.models import LedgerEntry


class EventKind(Enum):
    PLACED = "placed"
    PAID = "paid"  # a payment accepted (WeChat Pay or the leader's cash)
    PAYMENT_REFUSED = "payment_refused"  # a callback not booked (duplicate, rejected)
    CLOSED = "closed"  # cancelled or expired
    SHORTAGE = "shortage"
    REFUND = "refund"  # booked
    REFUND_RETURNED = "refund_returned"  # back with the payer
    ARRIVED = "arrived"  # the driver at the pickup point
    DELIVERED = "delivered"  # handed over
    SIGNED = "signed"  # the leader's 签收
    PICKED_UP = "picked_up"
    AFTER_SALE_REQUESTED = "after_sale_requested"
    AFTER_SALE_DECIDED = "after_sale_decided"
    COMMISSION = "commission"
    AUDIT = "audit"  # a staff member's change through the API


# Seen only by operators: the platform's own bookkeeping and staff actions.
INTERNAL = frozenset({EventKind.COMMISSION, EventKind.AUDIT, EventKind.PAYMENT_REFUSED})


@dataclass(frozen=True)
class TimelineEvent:
    kind: EventKind
    at: datetime
    detail: str
    amount_fen: int | None = None  # money moved, where the event moves money
    actor_id: int | None = None  # the user who acted, when known


async def order_timeline(session: AsyncSession, order_id: int) -> list[TimelineEvent]:
    """Every event of the order, oldest first (ties in the day's order)."""
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound("Order", ["id"])
    events = _order_events(order)
    for source in (
        _payments,
        _shortages,
        _refunds,
        _delivery,
        _pickup,
        _after_sale,
        _commission,
        _audit,
    ):
        events.extend(await source(session, order))
    rank = {kind: i for i, kind in enumerate(EventKind)}
    return sorted(events, key=lambda e: (e.at, rank[e.kind]))


def _order_events(order: Order) -> list[TimelineEvent]:
    placed = (
        "placed" if order.placed_by_id == order.customer_id else "placed by the leader (代下单)"
    )
    events = [
        TimelineEvent(
            EventKind.PLACED, order.created_at, placed, order.total_fen, order.placed_by_id
        )
    ]
    if order.closed_at is not None:
        closed = "expired" if order.status is OrderStatus.EXPIRED else "cancelled"
        events.append(TimelineEvent(EventKind.CLOSED, order.closed_at, closed))
    return events


async def _payments(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    notices = await session.execute(
        select(PaymentNotification).where(PaymentNotification.order_number == order.number)
    )
    events = [
        TimelineEvent(
            EventKind.PAID if n.outcome is PaymentOutcome.ACCEPTED else EventKind.PAYMENT_REFUSED,
            n.received_at,
            f"WeChat Pay {n.transaction_id}" + (f": {n.reason}" if n.reason else ""),
            n.amount_fen,
        )
        for n in notices.scalars()
    ]
    cash = await session.scalar(select(CashPayment).where(CashPayment.order_id == order.id))
    if cash is not None:
        events.append(
            TimelineEvent(
                EventKind.PAID,
                cash.received_at,
                "cash to the leader",
                cash.amount_fen,
                cash.recorded_by_id,
            )
        )
    if not events and order.paid_at is not None:
        # Paid with no record of how (a seeded day): the order's own time.
        events.append(TimelineEvent(EventKind.PAID, order.paid_at, "paid", order.paid_fen))
    return events


async def _shortages(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    rows = await session.execute(
        select(OrderLineShortfall, OrderLine.unit_price_fen, OrderLine.product_id)
        .join(OrderLine, OrderLine.id == OrderLineShortfall.order_line_id)
        .where(OrderLine.order_id == order.id)
    )
    return [
        TimelineEvent(
            EventKind.SHORTAGE,
            s.created_at,
            f"{s.quantity} of product {product} short: {s.reason.value}",
            s.quantity * price,
        )
        for s, price, product in rows.all()
    ]


async def _refunds(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    refunds = (await session.execute(select(Refund).where(Refund.order_id == order.id))).scalars()
    events = []
    for r in refunds:
        detail = f"{r.reason.value}, {r.state.value}" + (
            f" ({r.provider_reason})" if r.provider_reason else ""
        )
        events.append(
            TimelineEvent(EventKind.REFUND, r.created_at, detail, r.amount_fen, r.created_by_id)
        )
        if r.succeeded_at is not None:
            events.append(
                TimelineEvent(
                    EventKind.REFUND_RETURNED, r.succeeded_at, r.reason.value, r.amount_fen
                )
            )
    return events


async def _delivery(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    """The published plan's stop at the order's point on its delivery date."""
    rows = await session.execute(
        select(RouteStop.arrived_at, RouteStop.handed_over_at, DeliveryReceipt)
        .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
        .join(Campaign, Campaign.delivery_date == RoutePlan.delivery_date)
        .outerjoin(DeliveryReceipt, DeliveryReceipt.route_stop_id == RouteStop.id)
        .where(
            Campaign.id == order.campaign_id,
            RoutePlan.warehouse_id == Campaign.warehouse_id,
            RoutePlan.status == RoutePlanStatus.PUBLISHED,
            RouteStop.pickup_point_id == order.pickup_point_id,
        )
    )
    events = []
    for arrived, handed_over, receipt in rows.all():
        if arrived is not None:
            events.append(TimelineEvent(EventKind.ARRIVED, arrived, "driver arrived"))
        if handed_over is not None:
            events.append(TimelineEvent(EventKind.DELIVERED, handed_over, "handed over"))
        if receipt is not None:
            note = f"signed: {receipt.note}" if receipt.note else "signed"
            events.append(
                TimelineEvent(EventKind.SIGNED, receipt.signed_at, note, None, receipt.signed_by_id)
            )
    return events


async def _pickup(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    found = await session.scalar(select(OrderPickup).where(OrderPickup.order_id == order.id))
    if found is None:
        return []
    return [
        TimelineEvent(
            EventKind.PICKED_UP,
            found.picked_up_at,
            f"by {found.method.value}",
            None,
            found.verified_by_id,
        )
    ]


async def _after_sale(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    requests = (
        await session.execute(select(AfterSaleRequest).where(AfterSaleRequest.order_id == order.id))
    ).scalars()
    events = []
    for r in requests:
        asked = f"{r.quantity} of line {r.order_line_id}: {r.reason.value}" + (
            f" ({r.note})" if r.note else ""
        )
        events.append(
            TimelineEvent(
                EventKind.AFTER_SALE_REQUESTED, r.requested_at, asked, None, r.customer_id
            )
        )
        if r.decided_at is not None and r.status is not AfterSaleStatus.PENDING:
            decided = r.status.value + (f": {r.rejection_reason}" if r.rejection_reason else "")
            if r.decided_by_id is None:
                decided += " (automatically, overdue)"
            events.append(
                TimelineEvent(
                    EventKind.AFTER_SALE_DECIDED, r.decided_at, decided, None, r.decided_by_id
                )
            )
    return events


async def _commission(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    lines = select(OrderLine.id).where(OrderLine.order_id == order.id)
    entries = (
        await session.execute(select(LedgerEntry).where(LedgerEntry.order_line_id.in_(lines)))
    ).scalars()
    return [
        TimelineEvent(
            EventKind.COMMISSION,
            e.created_at,
            f"{e.kind.value} for leader {e.leader_id} on line {e.order_line_id}",
            e.amount_fen,
        )
        for e in entries
    ]


async def _audit(session: AsyncSession, order: Order) -> list[TimelineEvent]:
    refunds = select(Refund.id).where(Refund.order_id == order.id)
    rows = (
        await session.execute(
            select(AuditEvent).where(
                or_(
                    and_(AuditEvent.object_type == "Order", AuditEvent.object_id == order.id),
                    and_(AuditEvent.object_type == "Refund", AuditEvent.object_id.in_(refunds)),
                )
            )
        )
    ).scalars()
    return [TimelineEvent(EventKind.AUDIT, e.at, _audit_detail(e), None, e.actor_id) for e in rows]


def _audit_detail(event: AuditEvent) -> str:
    """The action, and the reason its input gave (a compensation's, …)."""
    given = event.details.get("input") if isinstance(event.details, dict) else None
    # The mutation's arguments: a mutation's ``input`` argument nests one deeper.
    if isinstance(given, dict) and isinstance(given.get("input"), dict):
        given = given["input"]
    reason = given.get("reason") if isinstance(given, dict) else None
    role = event.actor_role.value
    return f"{event.action} by {role}" + (f": {reason}" if isinstance(reason, str) else "")


def public(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """What the order's customer may see: no internal events, no staff named."""
    return [
        TimelineEvent(e.kind, e.at, e.detail, e.amount_fen, None)
        for e in events
        if e.kind not in INTERNAL
    ]
