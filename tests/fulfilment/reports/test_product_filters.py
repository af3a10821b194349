"""Reports filtered by product (category, supplier) count each order and
each customer once, however many of their lines match, and a customer of
two days once in the range. The known day's products are all one
category (水果) of one supplier, so filtered figures equal the unfiltered
ones but for goodwill, which belongs to no product. Both databases."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.orders.models import Order, OrderLine, OrderStatus, Refund, RefundReason
from fulfilment.reports.filters import ReportFilter
from fulfilment.reports.leaders import leader_ranking
from fulfilment.reports.sales import sales_report
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.fulfilment.reports.known_day import GMV, GOODWILL, KnownDay, known_day
from tests.support.routing import A_PRICE, B_PRICE

TZ = ZoneInfo("Asia/Shanghai")
ALL = ReportFilter()
SECOND_DAY_FEN = 2 * A_PRICE + B_PRICE  # alice again, the next day: 2 A + 1 B


def _by_product(day: KnownDay) -> list[ReportFilter]:
    supplier = int(day.counter.shop.extra["supplier_id"])
    return [ReportFilter(category="水果"), ReportFilter(supplier_id=supplier)]


async def _alice_again_next_day(db: TestDB, day: KnownDay) -> None:
    """A paid order of alice's at the shop's point, delivered the day after
    the known day: two lines, both of the known day's products, and two
    after-sale refunds of one A each on its A line."""
    shop, now = day.counter.shop, utcnow()
    async with unit_of_work(db.sessions) as session:
        first = await session.get(Campaign, shop.campaign_id)
        assert first is not None
        campaign = Campaign(
            warehouse_id=shop.warehouse_id,
            delivery_date=shop.delivery_date + timedelta(days=1),
            opens_at=first.opens_at + timedelta(days=1),
            cutoff_at=first.cutoff_at + timedelta(days=1),
            pickup_start=first.pickup_start,
            pickup_end=first.pickup_end,
        )
        session.add(campaign)
        await session.flush()
        prices = ((day.counter.day.product_a, A_PRICE, 2), (day.counter.day.product_b, B_PRICE, 1))
        items = [
            CampaignItem(
                campaign_id=campaign.id,
                product_id=product,
                group_price_fen=price,
                list_price_fen=price,
                reserved=units,
            )
            for product, price, units in prices
        ]
        session.add_all(items)
        order = Order(
            number="REPORT-NEXT-DAY",
            campaign_id=campaign.id,
            pickup_point_id=shop.pickup_point_id,
            leader_id=day.leader_id,
            customer_id=day.counter.day.alice.id,
            placed_by_id=day.counter.day.alice.id,
            status=OrderStatus.PAID,
            total_fen=SECOND_DAY_FEN,
            idempotency_key="report-next-day",
            request_hash="0" * 64,
            expires_at=now + timedelta(minutes=15),
            paid_at=now,
            paid_fen=SECOND_DAY_FEN,
        )
        session.add(order)
        await session.flush()
        lines = [
            OrderLine(
                order_id=order.id,
                campaign_item_id=item.id,
                product_id=product,
                quantity=units,
                unit_price_fen=price,
                amount_fen=units * price,
            )
            for item, (product, price, units) in zip(items, prices, strict=True)
        ]
        session.add_all(lines)
        await session.flush()
        session.add_all(
            Refund(
                order_id=order.id,
                order_line_id=lines[0].id,
                quantity=1,
                amount_fen=A_PRICE,
                reason=RefundReason.AFTER_SALE_QUALITY,
            )
            for _ in range(2)
        )


async def test_an_order_with_two_matching_lines_counts_once(db: TestDB) -> None:
    day = await known_day(db)
    for given in _by_product(day):
        async with db.sessions() as session:
            sales = await sales_report(session, day.days, given)
            ranks = await leader_ranking(session, day.days, given, TZ)
        # Alice's order has two lines of the products (3 A + 1 B): one order.
        totals = sales.totals
        assert (totals.gmv_fen, totals.orders, totals.customers) == (GMV, 4, 4), given
        # Carol's shortage and alice's after-sale refund; no goodwill.
        assert totals.refunded_fen == 2 * A_PRICE, given
        [delivered] = [d for d in sales.days if d.gmv_fen]
        assert (delivered.orders, delivered.customers, delivered.refunded_fen) == (
            4,
            4,
            2 * A_PRICE,
        )
        assert [(r.rank, r.sales_fen, r.orders, r.customers) for r in ranks] == [
            (1, 5 * A_PRICE + B_PRICE, 2, 2),
            (2, 4 * A_PRICE, 1, 1),
            (3, B_PRICE, 1, 1),
        ], given
        first = ranks[0]
        assert (first.leader_id, first.after_sale_fen) == (day.leader_id, A_PRICE)
    async with db.sessions() as session:
        whole = await sales_report(session, day.days, ALL)
        everyone = await leader_ranking(session, day.days, ALL, TZ)
    assert whole.totals.refunded_fen == 2 * A_PRICE + GOODWILL
    assert [r.commission_fen for r in ranks] == [r.commission_fen for r in everyone]


async def test_a_customer_of_two_days_counts_once_in_the_range(db: TestDB) -> None:
    day = await known_day(db)
    await _alice_again_next_day(db, day)
    next_day = day.delivery_date + timedelta(days=1)
    for given in [ALL, *_by_product(day)]:
        async with db.sessions() as session:
            sales = await sales_report(session, day.days, given)
            ranks = await leader_ranking(session, day.days, given, TZ)
        totals = sales.totals
        # Five orders of four customers: alice's two days are one customer.
        assert (totals.gmv_fen, totals.orders, totals.customers) == (
            GMV + SECOND_DAY_FEN,
            5,
            4,
        ), given
        per_day = {d.day: (d.gmv_fen, d.orders, d.customers) for d in sales.days if d.orders}
        assert per_day == {
            day.delivery_date: (GMV, 4, 4),
            next_day: (SECOND_DAY_FEN, 1, 1),
        }, given
        # The line refunded twice: both refunds, its sales counted once.
        assert {d.day: d.refunded_fen for d in sales.days if d.orders}[next_day] == 2 * A_PRICE
        # The shop's leader: alice twice and bob, two customers.
        first = ranks[0]
        assert (first.leader_id, first.orders, first.customers) == (day.leader_id, 3, 2), given
        assert first.sales_fen == 5 * A_PRICE + B_PRICE + SECOND_DAY_FEN, given
        assert first.after_sale_fen == 3 * A_PRICE, given
