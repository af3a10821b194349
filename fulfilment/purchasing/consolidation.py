"""Consolidation (汇总): paid order lines summed into one purchase order per
supplier, warehouse and delivery date, rounded up to whole cases.

Rounding rule: cases = ⌈ordered units ÷ case pack⌉; the surplus (cases × pack −
ordered) is bought and shown per line; cost = purchased units × supplier cost,
the cost in force on the delivery date (fulfilment/campaigns/costs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.costs import cost_on, effective_costs
from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign, Product, Supplier, Warehouse
from fulfilment.orders.models import (
    BEFORE_PURCHASE,
    Order,
    OrderLine,
    OrderLineShortfall,
)
from fulfilment.orders.refunded import bought
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.errors import DomainError, NotFound
from kernel.outbox import publish


@dataclass(frozen=True)
class Demand:
    product_id: int
    ordered_units: int
    case_pack: int
    unit_cost_fen: int

    @property
    def cases(self) -> int:
        return -(-self.ordered_units // self.case_pack)  # ceiling division

    def line(self, purchase_order_id: int, revision: int) -> PurchaseOrderLine:
        cases = self.cases
        purchase = cases * self.case_pack
        return PurchaseOrderLine(
            purchase_order_id=purchase_order_id,
            revision=revision,
            product_id=self.product_id,
            ordered_units=self.ordered_units,
            case_pack=self.case_pack,
            cases=cases,
            purchase_units=purchase,
            surplus_units=purchase - self.ordered_units,
            unit_cost_fen=self.unit_cost_fen,
            cost_fen=purchase * self.unit_cost_fen,
        )


async def _demand(
    session: AsyncSession, warehouse_id: int, delivery_date: date
) -> dict[int, list[Demand]]:
    """Paid units per supplier and product, less what was refunded before
    the purchase (missed group thresholds, withdrawn items): one grouped
    query over all the day's lines."""
    # Only what customers will not get whatever the supplier does (items that
    # missed their threshold or were withdrawn) leaves the PO; a supplier's own shortage does
    # not revise what was ordered from it.
    shorted = (
        select(OrderLineShortfall.order_line_id, func.sum(OrderLineShortfall.quantity).label("q"))
        .where(OrderLineShortfall.reason.in_(BEFORE_PURCHASE))
        .group_by(OrderLineShortfall.order_line_id)
        .subquery()
    )
    units = func.sum(OrderLine.quantity - func.coalesce(shorted.c.q, 0))
    # The cost in force on the delivery date (campaigns/costs.py), not today's.
    costs = effective_costs(delivery_date)
    unit_cost = cost_on(costs)
    rows = await session.execute(
        select(Product.supplier_id, Product.id, units, Product.case_pack, unit_cost)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(shorted, shorted.c.order_line_id == OrderLine.id)
        .outerjoin(costs, costs.c.product_id == Product.id)
        .where(
            # Paid orders, and those refunded whole since (a supplier's or a
            # delivery's shortage of their every unit) but not cancelled:
            # what was ordered stays ordered.
            bought(),
            Campaign.warehouse_id == warehouse_id,
            Campaign.delivery_date == delivery_date,
        )
        .group_by(Product.supplier_id, Product.id, Product.case_pack, unit_cost)
        .having(units > 0)
        .order_by(Product.supplier_id, Product.id)
    )
    demand: dict[int, list[Demand]] = {}
    for supplier_id, product_id, ordered, pack, cost in rows.all():
        demand.setdefault(supplier_id, []).append(Demand(product_id, int(ordered), pack, cost))
    return demand


def _same(current: list[PurchaseOrderLine], wanted: list[Demand]) -> bool:
    have = {(ln.product_id, ln.ordered_units, ln.case_pack, ln.unit_cost_fen) for ln in current}
    return have == {(d.product_id, d.ordered_units, d.case_pack, d.unit_cost_fen) for d in wanted}


async def check_all_cut_off(session: AsyncSession, warehouse_id: int, delivery_date: date) -> None:
    """Refuse consolidating a day whose campaigns are not all cut off yet
    (their orders may still change). The API asks at once, the job again."""
    pending = await session.execute(
        select(func.count()).where(
            Campaign.warehouse_id == warehouse_id,
            Campaign.delivery_date == delivery_date,
            Campaign.cutoff_processed_at.is_(None),
        )
    )
    if pending.scalar_one():
        raise DomainError(
            CampaignErrorCode.CAMPAIGN_STARTED,
            "Run the cutoff of every campaign for this date first.",
            ["deliveryDate"],
        )


async def consolidate(
    session: AsyncSession, warehouse_id: int, delivery_date: date, now: datetime
) -> list[PurchaseOrder]:
    """Make or revise the day's purchase orders. A PO whose lines would not
    change keeps its revision; one that would gets revision + 1 (never a second
    PO); a supplier whose every line was cancelled gets an empty revision."""
    warehouse = (
        await session.execute(
            # Consolidations of one warehouse take turns.
            select(Warehouse).where(Warehouse.id == warehouse_id).with_for_update()
        )
    ).scalar_one_or_none()
    if warehouse is None:
        raise NotFound("Warehouse", ["warehouseId"])
    await check_all_cut_off(session, warehouse_id, delivery_date)
    demand = await _demand(session, warehouse_id, delivery_date)
    existing = {
        po.supplier_id: po
        for po in (
            await session.execute(
                select(PurchaseOrder).where(
                    PurchaseOrder.warehouse_id == warehouse_id,
                    PurchaseOrder.delivery_date == delivery_date,
                )
            )
        ).scalars()
    }
    current = await _current_lines(session, list(existing.values()))
    touched = []
    published: list[tuple[PurchaseOrder, list[Demand]]] = []
    for supplier_id in sorted(set(demand) | set(existing)):
        wanted = demand.get(supplier_id, [])
        po = existing.get(supplier_id)
        if po is None:
            po = PurchaseOrder(
                supplier_id=supplier_id,
                warehouse_id=warehouse_id,
                delivery_date=delivery_date,
                revision=1,
                created_at=now,
                revised_at=now,
            )
            session.add(po)
            await session.flush()
        elif _same(current.get(po.id, []), wanted):
            touched.append(po)
            continue
        else:
            po.revision += 1
            po.revised_at = now
        session.add_all(d.line(po.id, po.revision) for d in wanted)
        touched.append(po)
        published.append((po, wanted))
    await session.flush()
    await notify_suppliers(session, published)
    return touched


async def _current_lines(
    session: AsyncSession, orders: list[PurchaseOrder]
) -> dict[int, list[PurchaseOrderLine]]:
    if not orders:
        return {}
    rows = await session.execute(
        select(PurchaseOrderLine).where(
            tuple_(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.revision).in_(
                [(po.id, po.revision) for po in orders]
            )
        )
    )
    out: dict[int, list[PurchaseOrderLine]] = {}
    for line in rows.scalars():
        out.setdefault(line.purchase_order_id, []).append(line)
    return out


PUBLISHED = "purchase_order.published"


async def notify_suppliers(
    session: AsyncSession, published: list[tuple[PurchaseOrder, list[Demand]]]
) -> None:
    """Queue a signed webhook for each new or revised PO whose supplier has a
    webhook URL; sent by the outbox job after this transaction commits."""
    if not published:
        return
    hooks = {
        s.id: s
        for s in (
            await session.execute(
                select(Supplier).where(
                    Supplier.id.in_({po.supplier_id for po, _ in published}),
                    Supplier.webhook_url.is_not(None),
                )
            )
        ).scalars()
    }
    for po, lines in published:
        supplier = hooks.get(po.supplier_id)
        if supplier is None or not supplier.webhook_url or not supplier.webhook_secret:
            continue
        publish(
            session,
            topic=PUBLISHED,
            url=supplier.webhook_url,
            secret=supplier.webhook_secret,
            payload={
                "purchaseOrderId": po.id,
                "revision": po.revision,
                "warehouseId": po.warehouse_id,
                "deliveryDate": po.delivery_date.isoformat(),
                "lines": [
                    {
                        "productId": d.product_id,
                        "orderedUnits": d.ordered_units,
                        "casePack": d.case_pack,
                        "cases": d.cases,
                    }
                    for d in lines
                ],
            },
        )
