"""Property test of the two tiers on random days: every unit the grid's
customers paid for is either still to hand out at its point, or refunded
for units lost at exactly one stage (missing or damaged at the grid's
handover, or at the point's signature), at its line's price; the points
the central serves directly never lose a unit to the grid; the grid's fee
per piece pays, net, for exactly the units its signed points received and
kept, whether the grid signed for the trunk before or after them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fulfilment.delivery.grid_handover import sign_grid_handover
from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport, sign_delivery
from fulfilment.delivery.stops import record_arrival
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.sorting.grids import sort_for_grids
from fulfilment.sorting.sorting import products_by_point, sort_day
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.fulfilment.network.test_stage_one import ITEMS
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.fulfilment.purchasing.test_night_properties import rows
from tests.support.factories import Shop, approved_pickup_point, open_shop
from tests.support.network import grid_of
from tests.support.properties import on_sqlite_copy
from tests.support.routing import store_plan

KINDS = st.sampled_from([DeliveryIssueKind.MISSING, DeliveryIssueKind.DAMAGED])
# Loss shares: what fraction of what is due is reported lost, per product.
# What tests/support/network.py's grids earn a piece.
GRID_FEE = 12
LOSSES = st.lists(st.tuples(st.integers(0, 1), KINDS, st.floats(0, 1)), max_size=3)


@st.composite
def days(draw: Any) -> dict[str, Any]:
    baskets = draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),  # point: 0 and 1 the grid's, 2 the central's own
                st.dictionaries(st.integers(0, 1), st.integers(1, 6), min_size=1),
            ),
            min_size=1,
            max_size=7,
        )
    )
    return {
        "baskets": baskets,
        "grid": draw(LOSSES),
        "points": [draw(LOSSES), draw(LOSSES)],
        # The grid signs for the trunk after its points signed for their vans.
        "late": draw(st.booleans()),
    }


def _reports(losses: list[Any], due: dict[int, int], products: list[int]) -> list[IssueReport]:
    """Issue reports of ``losses`` within what is ``due`` (product id → units)."""
    reports: dict[tuple[int, DeliveryIssueKind], int] = {}
    left = dict(due)
    for index, kind, share in losses:
        product = products[index]
        units = int(left.get(product, 0) * share)
        if units and (product, kind) not in reports:
            reports[(product, kind)] = units
            left[product] -= units
    return [IssueReport(p, k, q) for (p, k), q in reports.items()]


async def _due(db: TestDB, shop: Shop, point: int) -> dict[int, int]:
    async with db.sessions() as session:
        lines = await products_by_point(session, shop.warehouse_id, shop.delivery_date, [point])
    return {line.product_id: line.units for line in lines.get(point, [])}


async def _setup(db: TestDB, day: dict[str, Any]) -> tuple[Shop, list[int], int]:
    shop = await open_shop(db, items=ITEMS)
    points = [shop.pickup_point_id]
    for _ in range(2):
        points.append((await approved_pickup_point(db, shop.operator, shop.warehouse_id))[0])
    for point, basket in day["baskets"]:
        customer, _ = await db.user(Role.CUSTOMER)
        placed = dataclasses.replace(shop, pickup_point_id=points[point])
        await order(db, placed, customer, basket, pay=True)
    grid = await grid_of(db, shop.warehouse_id, shop.operator, points=points[:2])
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        now = utcnow()
        await consolidate(session, shop.warehouse_id, shop.delivery_date, now)
        await sort_day(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=40_000, now=now
        )
        await sort_for_grids(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=40_000, now=now
        )
    return shop, points, grid


async def _grid_signs(db: TestDB, shop: Shop, points: list[int], grid: int, day: Any) -> None:
    products = [shop.extra["product_id"], shop.extra["product_id"] + 1]
    at_points = [await _due(db, shop, q) for q in points[:2]]
    due = {p: sum(units.get(p, 0) for units in at_points) for p in products}
    operator, _ = await db.user(Role.GRID_OPERATOR)
    if any(due.values()):
        async with unit_of_work(db.sessions) as session:
            reports = _reports(day["grid"], due, products)
            await sign_grid_handover(
                session, operator.id, grid, shop.delivery_date, reports, note=None, now=utcnow()
            )


async def _points_sign(db: TestDB, shop: Shop, points: list[int], grid: int, day: Any) -> None:
    products = [shop.extra["product_id"], shop.extra["product_id"] + 1]
    served = [p for p in points[:2] if await _due(db, shop, p)]
    if not served:
        return
    plan = await store_plan(db, grid, shop.delivery_date, [served])
    for point, losses in zip(points[:2], day["points"], strict=True):
        if point not in served:
            continue
        leader = await db.scalar(
            "SELECT l.user_id FROM pickup_points p JOIN leaders l ON l.id = p.leader_id "
            "WHERE p.id = :p",
            p=point,
        )
        reports = _reports(losses, await _due(db, shop, point), products)
        stop = plan.stop_ids[point]
        async with unit_of_work(db.sessions) as session:
            await record_arrival(session, stop, utcnow())
            await sign_delivery(session, leader, route_stop_id=stop, issues=reports, now=utcnow())


async def _lose(db: TestDB, shop: Shop, points: list[int], grid: int, day: dict[str, Any]) -> None:
    """The grid signs for the trunk and each grid point for its van, the
    grid first or (``late``) last."""
    steps = [_grid_signs, _points_sign]
    for step in reversed(steps) if day["late"] else steps:
        await step(db, shop, points, grid, day)


async def _check_grid_fees(db: TestDB, shop: Shop, points: list[int]) -> None:
    """The grid is paid, net, for exactly the units its signed points still
    have to hand out (no pickups yet), at its fee: a unit lost at the grid
    after its point signed is taken back once, never twice, never more."""
    signed = {
        int(p)
        for (p,) in await rows(
            db,
            "SELECT s.pickup_point_id FROM delivery_receipts r "
            "JOIN route_stops s ON s.id = r.route_stop_id",
        )
    }
    left = 0
    for point in points[:2]:
        if point in signed:
            left += sum((await _due(db, shop, point)).values())
    net = await db.scalar("SELECT coalesce(sum(amount_fen), 0) FROM grid_fee_entries")
    assert net == GRID_FEE * left
    pending = await db.scalar("SELECT coalesce(sum(pending_fen), 0) FROM grid_fee_accounts")
    assert pending == net
    for _, pieces in await rows(
        db,
        "SELECT a.id, a.pieces + coalesce((SELECT sum(r.pieces) FROM grid_fee_entries r "
        "WHERE r.reverses_id = a.id), 0) FROM grid_fee_entries a WHERE a.kind = 'accrual'",
    ):
        assert pieces >= 0


async def check_day(db: TestDB, day: dict[str, Any]) -> None:
    shop, points, grid = await _setup(db, day)
    paid = await rows(
        db,
        "SELECT o.pickup_point_id, l.product_id, sum(l.quantity) FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id GROUP BY o.pickup_point_id, l.product_id",
    )
    await _lose(db, shop, points, grid, day)

    # Every refund is for units lost at exactly one stage, at the line's price.
    stages = await rows(
        db,
        "SELECT r.id, r.quantity, r.amount_fen, l.unit_price_fen, "
        "(SELECT count(*) FROM grid_issue_refunds g WHERE g.refund_id = r.id), "
        "(SELECT count(*) FROM order_line_shortfalls s WHERE s.refund_id = r.id "
        " AND s.delivery_issue_id IS NOT NULL) "
        "FROM refunds r JOIN order_lines l ON l.id = r.order_line_id",
    )
    for _, quantity, amount, price, at_grid, at_point in stages:
        assert at_grid + at_point == 1
        assert amount == quantity * price
    refunded = {
        (point, product): int(units)
        for point, product, units in await rows(
            db,
            "SELECT o.pickup_point_id, l.product_id, sum(r.quantity) FROM refunds r "
            "JOIN order_lines l ON l.id = r.order_line_id JOIN orders o ON o.id = r.order_id "
            "GROUP BY o.pickup_point_id, l.product_id",
        )
    }
    for point, product, units in paid:
        left = (await _due(db, shop, point)).get(product, 0)
        lost = refunded.get((point, product), 0)
        assert left + lost == units, (point, product)
        if point == points[2]:
            assert lost == 0  # the central's own point loses nothing to the grid
    await _check_grid_fees(db, shop, points)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(day=days())
def test_every_grid_unit_is_handed_out_or_refunded_at_one_stage(
    sqlite_template: Path, tmp_path_factory: Any, day: dict[str, Any]
) -> None:
    on_sqlite_copy(sqlite_template, tmp_path_factory, lambda db: check_day(db, day))
