"""Cutoff (freeze, expire unpaid, group thresholds) and consolidation into
purchase orders with revisions, on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign
from fulfilment.orders.cancelling import cancel_order
from fulfilment.orders.models import Order
from fulfilment.orders.payments import record_payment
from fulfilment.orders.placing import LineRequest, OrderRequest, place_order
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.cutoff import run_cutoff
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from tests.support.factories import Shop, open_shop


async def order(db, shop: Shop, customer: User, quantities: dict[int, int], *, pay: bool) -> Order:
    async with unit_of_work(db.sessions) as session:
        placed = await place_order(
            session,
            OrderRequest(
                customer,
                customer,
                shop.pickup_point_id,
                [LineRequest(shop.item_ids[i], q) for i, q in quantities.items()],
                uuid.uuid4().hex,
            ),
            now=utcnow(),
            zone=db.settings.zone,
            payment_window=timedelta(minutes=15),
        )
        if pay:
            await record_payment(
                session,
                order_number=placed.order.number,
                amount_fen=placed.order.total_fen,
                transaction_id=uuid.uuid4().hex,
                now=utcnow(),
            )
        return placed.order


async def cut_off(db, shop: Shop):
    """Move the cutoff into the past and run the cutoff."""
    async with unit_of_work(db.sessions) as session:
        campaign = await session.get(Campaign, shop.campaign_id)
        assert campaign is not None
        campaign.cutoff_at = utcnow() - timedelta(seconds=1)
    async with unit_of_work(db.sessions) as session:
        return await run_cutoff(session, shop.campaign_id, utcnow())


async def test_cutoff_waits_for_its_time_unless_closed_early(db):
    shop = await open_shop(db)
    with pytest.raises(DomainError) as refused:
        async with unit_of_work(db.sessions) as session:
            await run_cutoff(session, shop.campaign_id, utcnow())
    assert refused.value.code is CampaignErrorCode.INVALID_TIMES
    async with unit_of_work(db.sessions) as session:
        summary = await run_cutoff(session, shop.campaign_id, utcnow(), early=True)
    assert not summary.already_done
    assert await db.scalar("SELECT count(*) FROM campaigns WHERE cutoff_processed_at IS NULL") == 0


async def test_cutoff_expires_unpaid_orders_and_gives_their_units_back(db):
    shop = await open_shop(db, items=[{"group_price_fen": 500, "list_price_fen": 600, "cap": 10}])
    customer, _ = await db.user(Role.CUSTOMER)
    paid = await order(db, shop, customer, {0: 2}, pay=True)
    unpaid = await order(db, shop, customer, {0: 3}, pay=False)
    summary = await cut_off(db, shop)
    assert summary.expired_orders == 1
    statuses = dict(await _rows(db, "SELECT id, status FROM orders"))
    assert statuses == {paid.id: "paid", unpaid.id: "expired"}
    assert await db.scalar("SELECT reserved FROM campaign_items") == 2


async def test_items_below_their_group_threshold_are_cancelled_and_refunded(db):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "group_threshold": 5},
            {"group_price_fen": 350, "list_price_fen": 400, "group_threshold": 2},
        ],
    )
    alice, _ = await db.user(Role.CUSTOMER)
    bob, _ = await db.user(Role.CUSTOMER)
    await order(db, shop, alice, {0: 2, 1: 1}, pay=True)
    await order(db, shop, bob, {0: 1, 1: 1}, pay=True)
    await order(db, shop, bob, {0: 4}, pay=False)  # unpaid units do not count
    summary = await cut_off(db, shop)

    assert summary.cancelled_items == 1
    assert summary.refunded_lines == 2
    assert summary.refunded_fen == 3 * 990
    refunds = await _rows(db, "SELECT quantity, amount_fen, reason FROM refunds ORDER BY id")
    assert sorted(refunds) == [
        (1, 990, "group_threshold_missed"),
        (2, 1980, "group_threshold_missed"),
    ]
    shortfalls = await _rows(
        db,
        "SELECT s.quantity, s.reason, r.amount_fen FROM order_line_shortfalls s "
        "JOIN refunds r ON r.id = s.refund_id ORDER BY s.id",
    )
    assert sorted(shortfalls) == [(1, "group_threshold", 990), (2, "group_threshold", 1980)]
    cancelled = await db.scalar(
        "SELECT count(*) FROM campaign_items WHERE cancelled_at IS NOT NULL"
    )
    assert cancelled == 1

    # Running it again changes nothing.
    async with unit_of_work(db.sessions) as session:
        again = await run_cutoff(session, shop.campaign_id, utcnow())
    assert again.already_done
    assert await db.scalar("SELECT count(*) FROM refunds") == 2
    assert await db.scalar("SELECT count(*) FROM order_line_shortfalls") == 2

    # Money: what was paid, less what was refunded, is what will be delivered.
    paid = await db.scalar("SELECT sum(total_fen) FROM orders WHERE status = 'paid'")
    refunded = await db.scalar("SELECT sum(amount_fen) FROM refunds")
    delivered = await db.scalar(
        "SELECT sum((l.quantity - coalesce(s.q, 0)) * l.unit_price_fen) FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id LEFT JOIN (SELECT order_line_id, sum(quantity) q "
        "FROM order_line_shortfalls GROUP BY order_line_id) s ON s.order_line_id = l.id "
        "WHERE o.status = 'paid'"
    )
    assert paid - refunded == delivered == 2 * 350


async def test_consolidation_rounds_up_to_cases_and_revises_instead_of_duplicating(db):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290},
            {"group_price_fen": 350, "list_price_fen": 400, "group_threshold": 100},
        ],
    )
    customers = [(await db.user(Role.CUSTOMER))[0] for _ in range(3)]
    first = await order(db, shop, customers[0], {0: 7, 1: 1}, pay=True)
    await order(db, shop, customers[1], {0: 6}, pay=True)
    await order(db, shop, customers[2], {0: 1}, pay=False)
    await cut_off(db, shop)

    async with unit_of_work(db.sessions) as session:
        pos = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    assert [(po.supplier_id, po.revision) for po in pos] == [(shop.extra["supplier_id"], 1)]
    lines = await _po_lines(db)
    # 13 units paid, case pack 12: 2 cases, 24 units bought, 11 surplus, cost 600 each.
    # The threshold-cancelled item is not bought at all.
    assert lines == [(1, 13, 12, 2, 24, 11, 600, 14400)]

    async with unit_of_work(db.sessions) as session:
        same = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    assert [po.revision for po in same] == [1]
    assert await db.scalar("SELECT count(*) FROM purchase_order_lines") == 1

    # A late cancellation by an operator makes revision 2 of the same PO.
    operator = shop.operator
    async with unit_of_work(db.sessions) as session:
        await cancel_order(session, first.id, operator, now=utcnow())
    async with unit_of_work(db.sessions) as session:
        revised = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    assert [po.revision for po in revised] == [2]
    assert await db.scalar("SELECT count(*) FROM purchase_orders") == 1
    assert await _po_lines(db) == [
        (1, 13, 12, 2, 24, 11, 600, 14400),
        (2, 6, 12, 1, 12, 6, 600, 7200),
    ]


async def test_consolidation_waits_for_every_cutoff_of_the_day(db):
    shop = await open_shop(db)
    with pytest.raises(DomainError) as refused:
        async with unit_of_work(db.sessions) as session:
            await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    assert refused.value.field == ["deliveryDate"]
    assert await db.scalar("SELECT count(*) FROM purchase_orders") == 0


async def _rows(db, sql: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        from sqlalchemy import text

        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def _po_lines(db) -> list[tuple[Any, ...]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(
                PurchaseOrderLine.revision,
                PurchaseOrderLine.ordered_units,
                PurchaseOrderLine.case_pack,
                PurchaseOrderLine.cases,
                PurchaseOrderLine.purchase_units,
                PurchaseOrderLine.surplus_units,
                PurchaseOrderLine.unit_cost_fen,
                PurchaseOrderLine.cost_fen,
            )
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .order_by(PurchaseOrderLine.revision, PurchaseOrderLine.product_id)
        )
        return [tuple(r) for r in rows.all()]
