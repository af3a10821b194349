"""The delivery day: drivers report arriving and handing over at each stop,
leaders sign (two of them report a missing unit), residents collect with
their pickup codes, and one customer gets an after-sale refund."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.context import Day
from api.demo.intake import concurrency, gather_limited
from fulfilment.after_sale.models import AfterSaleReason
from fulfilment.after_sale.requests import approve_after_sale, request_after_sale
from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport, sign_delivery
from fulfilment.delivery.stops import record_arrival, record_hand_over
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    PickupCode,
    PickupLine,
    PickupMethod,
    Refund,
)
from fulfilment.pickup.recording import record_leaders_pickups
from fulfilment.pickup.rules import PickupRules
from fulfilment.pickup.verification import Verified, verify_pickup
from fulfilment.routing.models import Route, RoutePlan, RouteStop
from fulfilment.sorting.sorting import products_by_point
from kernel.db import unit_of_work

MISSING_REPORTS = 2  # leaders who find a unit missing when they sign
PICKUP_SPACING = timedelta(seconds=15)  # between two collections at one point
VERIFIED_ONE_BY_ONE = 1  # codes per point that go through verify_pickup singly
# Orders per set-based hand-out call: well inside the 32,766 values SQLite
# binds in one statement, and a transaction of moderate size.
HANDOUT_BATCH = 2_000
# Batches recorded at once: one in Python while the database runs another.
# Their orders differ and each locks the leaders' accounts in id order.
HANDOUT_SIDE_BY_SIDE = 2


async def run_handout(day: Day, plan: RoutePlan) -> Counter[str]:
    """The delivery day's steps; a tally of what they did."""
    handout: Counter[str] = Counter()
    await _deliver(day, plan, handout)
    await _collect(day, handout)
    await _after_sale(day, handout)
    return handout


async def _deliver(day: Day, plan: RoutePlan, handout: Counter[str]) -> None:
    sessions, region, timeline, rng = day.sessions, day.region, day.timeline, day.rng
    async with sessions() as session:
        stops = list(
            (
                await session.execute(
                    select(RouteStop)
                    .where(RouteStop.plan_id == plan.id)
                    .order_by(RouteStop.route_id, RouteStop.position)
                )
            ).scalars()
        )
        # Each driver reports at the stops of the route they were given.
        routes = select(Route.id, Route.driver_id).where(Route.plan_id == plan.id)
        drivers = {row.id: row.driver_id for row in await session.execute(routes)}
    leader_of_point = {p.id: p.leader_user_id for p in region.points}
    # Drawn before the routes run side by side, so the seed still decides
    # which leaders find which unit missing.
    reporting = {s.id: rng.random() for s in rng.sample(stops, min(MISSING_REPORTS, len(stops)))}
    by_route: dict[int, list[RouteStop]] = {}
    for stop in stops:
        by_route.setdefault(stop.route_id, []).append(stop)

    async def report(stop: RouteStop) -> int:
        """A stop's reports, one transaction each as the driver's and the
        leader's phones send them; the units the leader found missing."""
        driver_id = drivers[stop.route_id]
        async with unit_of_work(sessions) as session:
            await record_arrival(session, stop.id, stop.arrival_at, driver_id)
        async with unit_of_work(sessions) as session:
            await record_hand_over(session, stop.id, stop.departure_at, driver_id)
        issues = []
        if stop.id in reporting:
            async with sessions() as session:
                loads = await products_by_point(
                    session, region.warehouse_id, timeline.delivery_date, [stop.pickup_point_id]
                )
            lines = loads[stop.pickup_point_id]
            line = lines[int(reporting[stop.id] * len(lines))]
            issues.append(IssueReport(line.product_id, DeliveryIssueKind.MISSING, 1))
        async with unit_of_work(sessions) as session:
            signed = await sign_delivery(
                session,
                leader_of_point[stop.pickup_point_id],
                route_stop_id=stop.id,
                issues=issues,
                note="少了一件" if issues else None,
                now=stop.departure_at + timedelta(minutes=5),
            )
        return sum(i.issue.quantity for i in signed.issues)

    with day.steps.step("Delivery: arrivals, hand-overs, leaders sign", total=len(stops)) as bar:

        def drive(route: list[RouteStop]) -> Callable[[], Awaitable[int]]:
            async def go() -> int:
                missing = 0
                for stop in route:
                    missing += await report(stop)
                    bar.advance()
                return missing

            return go

        # The drivers are out at once, each down their own route.
        missing = await gather_limited(map(drive, by_route.values()), concurrency(day.settings))
        handout["missing_units"] += sum(missing)
        handout["stops"] = len(stops)
        bar.note = f"{len(stops)} stops signed, {handout['missing_units']} units reported missing"


async def collectable(session: AsyncSession, campaign_id: int) -> dict[int, list[tuple[int, str]]]:
    """Per pickup point, (order, pickup code) of each paid order with units
    left to hand out (an order refunded whole has nothing to collect)."""
    paid = (Order.campaign_id == campaign_id, Order.status == OrderStatus.PAID)
    units = dict(
        (
            await session.execute(
                select(OrderLine.order_id, func.sum(OrderLine.quantity))
                .join(Order, Order.id == OrderLine.order_id)
                .where(*paid)
                .group_by(OrderLine.order_id)
            )
        ).all()
    )
    refunded = dict(
        (
            await session.execute(
                select(Refund.order_id, func.sum(Refund.quantity))
                .join(Order, Order.id == Refund.order_id)
                .where(*paid, Refund.order_line_id.is_not(None))
                .group_by(Refund.order_id)
            )
        ).all()
    )
    codes = await session.execute(
        select(PickupCode.pickup_point_id, PickupCode.order_id, PickupCode.code)
        .join(Order, Order.id == PickupCode.order_id)
        .where(*paid)
        .order_by(PickupCode.order_id)
    )
    by_point: dict[int, list[tuple[int, str]]] = {}
    for point_id, order_id, code in codes:
        if units.get(order_id, 0) > (refunded.get(order_id) or 0):
            by_point.setdefault(point_id, []).append((order_id, code))
    return by_point


async def _collect(day: Day, handout: Counter[str]) -> None:
    sessions, region, timeline = day.sessions, day.region, day.timeline
    rules = PickupRules.of(day.settings)
    async with sessions() as session:
        due = await collectable(session, region.campaign_id)
    leader_of_point = {p.id: p.leader_user_id for p in region.points}
    rest = [order_id for orders in due.values() for order_id, _ in orders[VERIFIED_ONE_BY_ONE:]]
    batches = range(0, len(rest), HANDOUT_BATCH)
    with day.steps.step(
        "Pickups: codes verified, goods handed out", total=len(due) + len(batches)
    ) as bar:
        # The first residents' codes at each point go through verify_pickup,
        # a transaction each, as the leader's phone sends them; the points'
        # leaders at once.
        def verify(point_id: int, orders: list[tuple[int, str]]) -> Callable[[], Awaitable[int]]:
            async def go() -> int:
                leader = leader_of_point[point_id]
                for index, (_, code) in enumerate(orders[:VERIFIED_ONE_BY_ONE]):
                    async with unit_of_work(sessions) as session:
                        verified = await verify_pickup(
                            session,
                            leader,
                            code=code,
                            delivery_date=timeline.delivery_date,
                            now=timeline.at(14) + index * PICKUP_SPACING,
                            rules=rules,
                        )
                    if not isinstance(verified, Verified):
                        raise RuntimeError(f"pickup code {code} was not found at its point")
                bar.advance()
                return min(len(orders), VERIFIED_ONE_BY_ONE)

            return go

        points = (verify(point_id, orders) for point_id, orders in due.items())
        handout["verified"] += sum(await gather_limited(points, concurrency(day.settings)))

        # The rest of every queue goes through the same domain step, set-based
        # across points: a call costs the same statements for one point's
        # queue as for many, and the statements are what a large demo waits on.
        def record(start: int) -> Callable[[], Awaitable[None]]:
            async def go() -> None:
                async with unit_of_work(sessions) as session:
                    await record_leaders_pickups(
                        session,
                        rest[start : start + HANDOUT_BATCH],
                        method=PickupMethod.CODE,
                        now=timeline.at(17),
                    )
                bar.advance()

            return go

        side_by_side = min(HANDOUT_SIDE_BY_SIDE, concurrency(day.settings))
        await gather_limited(map(record, batches), side_by_side)
        handout["collected"] += sum(len(orders) for orders in due.values())
        bar.note = (
            f"{handout['collected']:,} orders collected at {len(due)} points, "
            f"{handout['verified']:,} codes verified singly"
        )


async def _after_sale(day: Day, handout: Counter[str]) -> None:
    sessions, region, timeline, rng = day.sessions, day.region, day.timeline, day.rng
    with day.steps.step("After-sale: one quality refund") as bar:
        async with sessions() as session:
            due = await collectable(session, region.campaign_id)
            order_id, _ = rng.choice(rng.choice(list(due.values())))
            order = await session.get(Order, order_id)
            line = (
                await session.execute(
                    select(OrderLine)
                    .join(PickupLine, PickupLine.order_line_id == OrderLine.id)
                    .where(OrderLine.order_id == order_id)
                    .limit(1)
                )
            ).scalar_one()
        assert order is not None
        async with unit_of_work(sessions) as session:
            request = await request_after_sale(
                session,
                order.customer_id,
                order_id=order.id,
                product_id=line.product_id,
                quantity=1,
                reason=AfterSaleReason.QUALITY,
                note="有一件坏了",
                now=timeline.at(20),
                window=timedelta(hours=day.settings.after_sale_window_hours),
            )
        async with unit_of_work(sessions) as session:
            decision = await approve_after_sale(
                session, request.id, decided_by_id=region.operator_id, now=timeline.at(21)
            )
        refund = decision.refund.amount_fen if decision.refund else 0
        handout["after_sale_refund_fen"] = refund
        bar.note = (
            f"order {order.number}: ¥{refund / 100:.2f} refunded, "
            f"¥{decision.reversed_fen / 100:.2f} commission reversed"
        )
