"""Signing for a delivery (签收).

A leader signs once for their pickup point's stop, after the driver
reported arrival or hand-over. Units reported missing or damaged are
refunded to the customers of that pickup point by the shortage rule
(latest-paid lines first, whole or in part, at the line's unit price; see
``fulfilment.purchasing.shortages``). A report may cover at most what the point was
still due of the product (paid units less those already shorted), and a
stop is signed only once, so no unit is refunded twice.

Signing tells the point's customers who still have goods to collect that
their goods arrived (in-app, and through the push gateway when configured).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.delivery.grid_fees import accrue_for_receipt
from fulfilment.delivery.models import DeliveryIssue, DeliveryIssueKind, DeliveryReceipt
from fulfilment.delivery.stops import Delivery, leader_stop, receipt_of
from fulfilment.network.queries import buying_warehouse
from fulfilment.orders.models import Order, OrderLineShortfall, Refund, ShortfallReason
from fulfilment.orders.notices import tell_shortage_refunds
from fulfilment.purchasing.shortages import AllocationScope, ShortedLine, short_latest_paid
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import RouteStop
from fulfilment.sorting.sorting import deliverable, products_by_point
from kernel.errors import CommonErrorCode, DomainError
from kernel.notifications import Gateway, notify
from leaders.points.models import PickupPoint

ARRIVED = "delivery.arrived"


MAX_NOTE = 1000


_SHORTFALL_REASONS = {
    DeliveryIssueKind.MISSING: ShortfallReason.DELIVERY_MISSING,
    DeliveryIssueKind.DAMAGED: ShortfallReason.DELIVERY_DAMAGED,
}
# How the refund notice words each kind (fulfilment/orders/notices.py).
_WHY = {DeliveryIssueKind.MISSING: "配送缺失", DeliveryIssueKind.DAMAGED: "配送破损"}


@dataclass(frozen=True)
class IssueReport:
    """Units of one product the leader did not get, or got broken."""

    product_id: int
    kind: DeliveryIssueKind
    quantity: int


@dataclass(frozen=True)
class ReportedIssue:
    issue: DeliveryIssue
    refunds: list[ShortedLine]


@dataclass(frozen=True)
class SignedDelivery:
    delivery: Delivery
    issues: list[ReportedIssue]
    notified: int  # customers told the goods arrived

    @property
    def receipt(self) -> DeliveryReceipt:
        assert self.delivery.receipt is not None
        return self.delivery.receipt


async def sign_delivery(
    session: AsyncSession,
    user_id: int,
    *,
    route_stop_id: int | None = None,
    delivery_date: date | None = None,
    issues: Sequence[IssueReport] = (),
    note: str | None = None,
    now: datetime,
    gateway: Gateway | None = None,
) -> SignedDelivery:
    """The leader signed in as ``user_id`` signs for their stop (the one
    given, or their point's stop on the published plan of ``delivery_date``),
    reporting ``issues``; the issues are refunded and the customers told."""
    field = "routeStopId" if route_stop_id is not None else "deliveryDate"
    stop, plan, point = await leader_stop(
        session, user_id, route_stop_id=route_stop_id, delivery_date=delivery_date
    )
    if await receipt_of(session, stop.id) is not None:
        raise DomainError(
            RoutingErrorCode.ALREADY_SIGNED, "This delivery was already signed for.", [field]
        )
    if stop.arrived_at is None and stop.handed_over_at is None:
        raise DomainError(
            RoutingErrorCode.NOT_DELIVERED, "The driver has not reported arriving here.", [field]
        )
    note = checked_note(note)
    # A grid's deliveries are its central's orders (fulfilment/network).
    source = await buying_warehouse(session, plan.warehouse_id)
    scope = AllocationScope(source, plan.delivery_date, stop.pickup_point_id)
    await _check_issues(session, scope, issues)

    receipt = DeliveryReceipt(route_stop_id=stop.id, signed_by_id=user_id, signed_at=now, note=note)
    session.add(receipt)
    await session.flush()
    reported = []
    for index, report in enumerate(issues):
        issue = DeliveryIssue(
            receipt_id=receipt.id,
            product_id=report.product_id,
            kind=report.kind,
            quantity=report.quantity,
        )
        session.add(issue)
        await session.flush()
        refunds = await short_latest_paid(
            session,
            scope,
            report.product_id,
            report.quantity,
            reason=_SHORTFALL_REASONS[report.kind],
            now=now,
            delivery_issue_id=issue.id,
        )
        if sum(r.quantity for r in refunds) != report.quantity:
            # Another allocation took units between the check and now.
            raise invalid_report(index, "quantity", "Fewer units are due here now; sign again.")
        reported.append(ReportedIssue(issue, refunds))
    for kind, why in _WHY.items():
        refund_ids = [r.refund_id for i in reported if i.issue.kind is kind for r in i.refunds]
        await tell_shortage_refunds(session, refund_ids, why=why, gateway=gateway)
    # After the refunds: the grid is paid for what the point received.
    await accrue_for_receipt(session, plan, stop, receipt, source, now)
    notified = await _tell_customers(session, scope, stop, point, gateway)
    return SignedDelivery(Delivery(stop, plan, receipt), reported, notified)


def invalid_report(index: int, field: str | None, message: str) -> DomainError:
    """INVALID_ISSUE on the report at ``index`` (its ``field``, if one)."""
    path = ["issues", str(index)] + ([field] if field else [])
    return DomainError(RoutingErrorCode.INVALID_ISSUE, message, path)


def checked_note(note: str | None) -> str | None:
    """A signature's note, trimmed (None when blank); at most MAX_NOTE characters."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(
            CommonErrorCode.INVALID, f"A note has at most {MAX_NOTE} characters.", ["note"]
        )
    return note or None


async def _check_issues(
    session: AsyncSession, scope: AllocationScope, issues: Sequence[IssueReport]
) -> None:
    """The issues against what the point is still due."""
    assert scope.pickup_point_id is not None
    if not issues:
        return  # most signatures report nothing: no need to read what was due
    due = {
        line.product_id: line.units
        for line in (
            await products_by_point(
                session, scope.warehouse_id, scope.delivery_date, [scope.pickup_point_id]
            )
        ).get(scope.pickup_point_id, [])
    }
    check_reports(issues, due, "were due here")


def check_reports(issues: Sequence[IssueReport], due: dict[int, int], where: str) -> None:
    """Each product at most once per kind, and missing + damaged together no
    more than ``due`` of it (product id → units; ``where`` words it: "were
    due here"). The leader's signature and the grid's handover alike."""
    seen: set[tuple[int, DeliveryIssueKind]] = set()
    reported: dict[int, int] = {}
    for index, issue in enumerate(issues):
        if issue.quantity <= 0:
            raise invalid_report(index, "quantity", "Report a positive number of units.")
        if (issue.product_id, issue.kind) in seen:
            raise invalid_report(index, None, "Each product once per kind.")
        seen.add((issue.product_id, issue.kind))
        reported[issue.product_id] = reported.get(issue.product_id, 0) + issue.quantity
        if reported[issue.product_id] > due.get(issue.product_id, 0):
            raise invalid_report(
                index,
                "quantity",
                f"At most {due.get(issue.product_id, 0)} units of this product {where}.",
            )


async def _tell_customers(
    session: AsyncSession,
    scope: AllocationScope,
    stop: RouteStop,
    point: PickupPoint,
    gateway: Gateway | None,
) -> int:
    """The point's customers with goods still to collect hear they arrived."""
    lines = (
        deliverable(scope.warehouse_id, scope.delivery_date)
        .where(Order.pickup_point_id == scope.pickup_point_id)
        .subquery()
    )
    customers = (await session.execute(select(lines.c.customer_id).distinct())).scalars().all()
    day = scope.delivery_date
    return await notify(
        session,
        user_ids=list(customers),
        kind=ARRIVED,
        title="商品已到自提点",
        body=f"{point.name}已签收{day.month}月{day.day}日的团购商品，请按自提时间到{point.address}取货。",
        data={
            "pickup_point_id": point.id,
            "delivery_date": day.isoformat(),
            "route_stop_id": stop.id,
        },
        gateway=gateway,
    )


async def receipt_issues(
    session: AsyncSession, receipt_ids: Sequence[int]
) -> dict[int, list[ReportedIssue]]:
    """The issues reported on each receipt, with the refunds each booked."""
    if not receipt_ids:
        return {}
    issues = (
        (
            await session.execute(
                select(DeliveryIssue)
                .where(DeliveryIssue.receipt_id.in_(receipt_ids))
                .order_by(DeliveryIssue.id)
            )
        )
        .scalars()
        .all()
    )
    refunds: dict[int, list[ShortedLine]] = {}
    if issues:
        rows = await session.execute(
            select(
                OrderLineShortfall.delivery_issue_id,
                Refund.id,
                Refund.order_id,
                OrderLineShortfall.order_line_id,
                OrderLineShortfall.quantity,
                Refund.amount_fen,
            )
            .join(Refund, Refund.id == OrderLineShortfall.refund_id)
            .where(OrderLineShortfall.delivery_issue_id.in_([i.id for i in issues]))
            .order_by(Refund.id)
        )
        for issue_id, refund_id, order_id, line_id, quantity, amount in rows.all():
            refunds.setdefault(issue_id or 0, []).append(
                ShortedLine(refund_id, order_id, line_id, quantity, amount)
            )
    out: dict[int, list[ReportedIssue]] = {r: [] for r in receipt_ids}
    for issue in issues:
        out[issue.receipt_id].append(ReportedIssue(issue, refunds.get(issue.id, [])))
    return out
