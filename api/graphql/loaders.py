"""DataLoaders, one set per request: a list of N objects costs a constant
number of queries whatever N is."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from fulfilment.after_sale.models import AfterSaleRequest
from fulfilment.campaigns.models import (
    Campaign,
    CampaignItem,
    Product,
    ProductCost,
    ServiceArea,
    Supplier,
    Warehouse,
)
from fulfilment.orders.models import (
    CashPayment,
    Order,
    OrderLine,
    OrderLineShortfall,
    OrderPickup,
    PaymentPrepay,
    PickupCode,
    PickupLine,
    Refund,
)
from fulfilment.orders.queries import refunded_units_by_item
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.routing.models import Route, RoutePlan, RouteStop, UnservedStop, VehicleType
from fulfilment.routing.trunk_delay import TrunkBound, trunk_bounds
from kernel.accounts import User
from kernel.jobs.models import Job
from leaders.commission.models import LedgerEntry, Payout, PayoutBatch, Statement
from leaders.points.models import Leader, PickupHelper, PickupPoint

M = TypeVar("M")


def _by_column(
    session: AsyncSession, lock: asyncio.Lock, model: type[M], column: Any
) -> DataLoader[int, M | None]:
    async def load(keys: Sequence[int]) -> list[M | None]:
        async with lock:
            rows = (await session.execute(select(model).where(column.in_(keys)))).scalars()
        found = {getattr(row, column.key): row for row in rows}
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _grouped(
    session: AsyncSession, lock: asyncio.Lock, model: type[M], column: Any
) -> DataLoader[int, list[M]]:
    """Children by parent id (items of campaigns, lines of orders), in id order."""

    async def load(keys: Sequence[int]) -> list[list[M]]:
        async with lock:
            rows = await session.execute(
                select(model).where(column.in_(keys)).order_by(model.id)  # type: ignore[attr-defined]
            )
        grouped: dict[int, list[M]] = {key: [] for key in keys}
        for row in rows.scalars():
            grouped[getattr(row, column.key)].append(row)
        return [grouped[key] for key in keys]

    return DataLoader(load_fn=load)


def _refunded_units(session: AsyncSession, lock: asyncio.Lock) -> DataLoader[int, int]:
    """Units refunded on each campaign item's order lines (0 for none)."""

    async def load(keys: Sequence[int]) -> list[int]:
        async with lock:
            found = await refunded_units_by_item(session, keys)
        return [found.get(key, 0) for key in keys]

    return DataLoader(load_fn=load)


def _trunk_bounds(
    session: AsyncSession, lock: asyncio.Lock, zone: ZoneInfo
) -> DataLoader[int, TrunkBound | None]:
    """A grid's delivery plans against the trunk now in force (None: not a
    grid's delivery plan)."""

    async def load(keys: Sequence[int]) -> list[TrunkBound | None]:
        async with lock:
            found = await trunk_bounds(session, keys, zone)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _revision_lines(
    session: AsyncSession, lock: asyncio.Lock
) -> DataLoader[tuple[int, int], list[PurchaseOrderLine]]:
    """Lines of (purchase order, revision) pairs, in product order."""

    async def load(keys: Sequence[tuple[int, int]]) -> list[list[PurchaseOrderLine]]:
        async with lock:
            rows = await session.execute(
                select(PurchaseOrderLine)
                .where(
                    tuple_(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.revision).in_(
                        list(keys)
                    )
                )
                .order_by(PurchaseOrderLine.product_id)
            )
        grouped: dict[tuple[int, int], list[PurchaseOrderLine]] = {key: [] for key in keys}
        for line in rows.scalars():
            grouped[(line.purchase_order_id, line.revision)].append(line)
        return [grouped[key] for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self, session: AsyncSession, zone: ZoneInfo) -> None:
        # Loaders dispatch their batches as concurrent tasks, but an AsyncSession
        # allows one operation at a time (two loaders opening the request's
        # first connection together fail): their queries take turns.
        lock = self.lock = asyncio.Lock()
        self.user = _by_column(session, lock, User, User.id)
        self.leader = _by_column(session, lock, Leader, Leader.id)
        self.pickup_point = _by_column(session, lock, PickupPoint, PickupPoint.id)
        self.pickup_point_by_leader = _by_column(session, lock, PickupPoint, PickupPoint.leader_id)
        self.warehouse = _by_column(session, lock, Warehouse, Warehouse.id)
        self.service_area = _by_column(session, lock, ServiceArea, ServiceArea.pickup_point_id)
        self.leader_by_user = _by_column(session, lock, Leader, Leader.user_id)
        self.supplier = _by_column(session, lock, Supplier, Supplier.id)
        self.product = _by_column(session, lock, Product, Product.id)
        self.product_costs = _grouped(session, lock, ProductCost, ProductCost.product_id)
        self.campaign = _by_column(session, lock, Campaign, Campaign.id)
        self.campaign_item = _by_column(session, lock, CampaignItem, CampaignItem.id)
        self.order = _by_column(session, lock, Order, Order.id)
        self.campaign_items = _grouped(session, lock, CampaignItem, CampaignItem.campaign_id)
        self.refunded_units = _refunded_units(session, lock)
        self.order_lines = _grouped(session, lock, OrderLine, OrderLine.order_id)
        self.purchase_order = _by_column(session, lock, PurchaseOrder, PurchaseOrder.id)
        self.revision_lines = _revision_lines(session, lock)
        self.receipts = _grouped(session, lock, Receipt, Receipt.purchase_order_id)
        self.shortfalls = _grouped(
            session, lock, OrderLineShortfall, OrderLineShortfall.order_line_id
        )
        self.job = _by_column(session, lock, Job, Job.id)
        self.vehicle_type = _by_column(session, lock, VehicleType, VehicleType.id)
        self.route_plan = _by_column(session, lock, RoutePlan, RoutePlan.id)
        self.route = _by_column(session, lock, Route, Route.id)
        self.route_stop = _by_column(session, lock, RouteStop, RouteStop.id)
        self.plan_routes = _grouped(session, lock, Route, Route.plan_id)
        self.route_stops = _grouped(session, lock, RouteStop, RouteStop.route_id)
        self.plan_unserved = _grouped(session, lock, UnservedStop, UnservedStop.plan_id)
        self.ledger_entry = _by_column(session, lock, LedgerEntry, LedgerEntry.id)
        self.statement = _by_column(session, lock, Statement, Statement.id)
        self.payout = _by_column(session, lock, Payout, Payout.id)
        self.payout_batch = _by_column(session, lock, PayoutBatch, PayoutBatch.id)
        self.order_line = _by_column(session, lock, OrderLine, OrderLine.id)
        self.pickup_code = _by_column(session, lock, PickupCode, PickupCode.order_id)
        self.cash_payment = _by_column(session, lock, CashPayment, CashPayment.order_id)
        self.order_pickup = _by_column(session, lock, OrderPickup, OrderPickup.order_id)
        self.pickup_lines = _grouped(session, lock, PickupLine, PickupLine.pickup_id)
        self.pickup_helper = _by_column(session, lock, PickupHelper, PickupHelper.id)
        self.after_sale_request = _by_column(session, lock, AfterSaleRequest, AfterSaleRequest.id)
        self.refund = _by_column(session, lock, Refund, Refund.id)
        self.order_refunds = _grouped(session, lock, Refund, Refund.order_id)
        self.order_prepays = _grouped(session, lock, PaymentPrepay, PaymentPrepay.order_id)
        self.trunk_bound = _trunk_bounds(session, lock, zone)
