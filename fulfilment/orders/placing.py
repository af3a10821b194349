"""orderCreate's domain: all lines or none, caps never oversold, limits
counted across the customer's orders, and one order per idempotency key."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns import CampaignStatus, campaign_status
from fulfilment.errors import OrderErrorCode
from fulfilment.models import (
    HOLDING,
    Campaign,
    CampaignItem,
    Order,
    OrderLine,
    OrderStatus,
    ServiceArea,
)
from fulfilment.orders.reservations import reserve
from kernel.accounts import Role, User
from kernel.db import insert_ignoring_conflicts
from kernel.errors import CommonErrorCode, DomainError, NotFound
from leaders.customers import bind_customer
from leaders.models import Leader, LeaderStatus, PickupPoint

MAX_LINES = 50
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineRequest:
    campaign_item_id: int
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    customer: User
    placed_by: User
    pickup_point_id: int
    lines: Sequence[LineRequest]
    idempotency_key: str


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    replayed: bool  # True when the key had been used: nothing new was created


def _check_lines(lines: Sequence[LineRequest]) -> None:
    if not 1 <= len(lines) <= MAX_LINES:
        raise DomainError(
            OrderErrorCode.INVALID_QUANTITY, f"An order has 1 to {MAX_LINES} lines.", ["lines"]
        )
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                OrderErrorCode.INVALID_QUANTITY,
                f"Quantities are whole numbers from 1 to {MAX_QUANTITY}.",
                ["lines", str(index), "quantity"],
            )
        if line.campaign_item_id in seen:
            raise DomainError(
                OrderErrorCode.INVALID_QUANTITY,
                "Each item once per order; add up the quantities instead.",
                ["lines", str(index), "campaignItemId"],
            )
        seen.add(line.campaign_item_id)


def _request_hash(request: OrderRequest) -> str:
    canonical = json.dumps(
        {
            "customer": request.customer.id,
            "pickupPoint": request.pickup_point_id,
            "lines": sorted((ln.campaign_item_id, ln.quantity) for ln in request.lines),
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _replay(session: AsyncSession, request: OrderRequest, digest: str) -> PlacedOrder | None:
    existing = (
        await session.execute(
            select(Order).where(
                Order.placed_by_id == request.placed_by.id,
                Order.idempotency_key == request.idempotency_key,
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise DomainError(
            CommonErrorCode.IDEMPOTENCY_CONFLICT,
            "This idempotency key was used for a different order.",
            ["idempotencyKey"],
        )
    return PlacedOrder(existing, replayed=True)


async def _orderable_point(session: AsyncSession, pickup_point_id: int) -> tuple[int, int | None]:
    """The leader and serving warehouse of an orderable pickup point."""
    row = (
        await session.execute(
            select(Leader.id, Leader.status, ServiceArea.warehouse_id)
            .select_from(PickupPoint)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .outerjoin(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
            .where(PickupPoint.id == pickup_point_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Pickup point", ["pickupPointId"])
    leader_id, status, warehouse_id = row
    if status is not LeaderStatus.APPROVED:
        raise DomainError(
            OrderErrorCode.PICKUP_POINT_INACTIVE,
            "This pickup point is not taking orders.",
            ["pickupPointId"],
        )
    return leader_id, warehouse_id


async def _campaign_of(
    session: AsyncSession,
    lines: Sequence[LineRequest],
    warehouse_id: int | None,
    now: datetime,
) -> tuple[Campaign, dict[int, CampaignItem]]:
    rows = (
        await session.execute(
            select(CampaignItem, Campaign)
            .join(Campaign, Campaign.id == CampaignItem.campaign_id)
            .where(CampaignItem.id.in_([ln.campaign_item_id for ln in lines]))
        )
    ).all()
    items = {item.id: item for item, _ in rows}
    for index, line in enumerate(lines):
        if line.campaign_item_id not in items:
            raise DomainError(
                OrderErrorCode.ITEM_NOT_FOUND,
                "No such campaign item.",
                ["lines", str(index), "campaignItemId"],
            )
    campaigns = {c.id: c for _, c in rows}
    if len(campaigns) > 1:
        raise DomainError(
            OrderErrorCode.MIXED_CAMPAIGNS, "All lines must come from one campaign.", ["lines"]
        )
    campaign = next(iter(campaigns.values()))
    if campaign_status(campaign, now) is not CampaignStatus.OPEN:
        raise DomainError(
            OrderErrorCode.CAMPAIGN_CLOSED, "This campaign is not taking orders now.", ["lines"]
        )
    if campaign.warehouse_id != warehouse_id:
        raise DomainError(
            OrderErrorCode.PICKUP_POINT_NOT_SERVED,
            "This campaign does not deliver to this pickup point.",
            ["pickupPointId"],
        )
    return campaign, items


async def _check_limits(
    session: AsyncSession,
    customer_id: int,
    lines: Sequence[LineRequest],
    items: dict[int, CampaignItem],
) -> None:
    limited = [ln for ln in lines if items[ln.campaign_item_id].per_customer_limit is not None]
    if not limited:
        return
    # One customer's concurrent orders take turns here (a no-op on SQLite,
    # whose writers are serialised anyway), so two of them cannot both pass.
    # NO KEY UPDATE: the order row inserted above holds a KEY SHARE lock on the
    # customer (its foreign key), which a plain FOR UPDATE would deadlock on.
    await session.execute(
        select(User.id).where(User.id == customer_id).with_for_update(key_share=True)
    )
    bought = dict(
        (
            await session.execute(
                select(OrderLine.campaign_item_id, func.sum(OrderLine.quantity))
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    Order.customer_id == customer_id,
                    Order.status.in_(HOLDING),
                    OrderLine.campaign_item_id.in_([ln.campaign_item_id for ln in limited]),
                )
                .group_by(OrderLine.campaign_item_id)
            )
        ).all()
    )
    for index, line in enumerate(lines):
        limit = items[line.campaign_item_id].per_customer_limit
        if limit is None:
            continue
        allowed = limit - int(bought.get(line.campaign_item_id, 0))
        if line.quantity > allowed:
            raise DomainError(
                OrderErrorCode.LIMIT_EXCEEDED,
                f"At most {limit} per customer; {max(allowed, 0)} more allowed.",
                ["lines", str(index), "quantity"],
                remaining=max(allowed, 0),
            )


def _order_number(now: datetime, zone: ZoneInfo) -> str:
    return f"{now.astimezone(zone):%y%m%d}{secrets.randbelow(10**10):010d}"


async def place_order(
    session: AsyncSession,
    request: OrderRequest,
    *,
    now: datetime,
    zone: ZoneInfo,
    payment_window: timedelta,
) -> PlacedOrder:
    """Place an order awaiting payment, or return the one placed before with
    the same idempotency key. Every rule is checked before anything is kept:
    a DomainError here leaves the caller's transaction to roll back whole."""
    _check_lines(request.lines)
    key = request.idempotency_key.strip()
    if not 1 <= len(key) <= 100:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Give an idempotency key of 1 to 100 characters.",
            ["idempotencyKey"],
        )
    request = OrderRequest(
        request.customer, request.placed_by, request.pickup_point_id, request.lines, key
    )
    digest = _request_hash(request)
    if (replayed := await _replay(session, request, digest)) is not None:
        return replayed
    if request.customer.role not in (Role.CUSTOMER, Role.LEADER):
        raise DomainError(OrderErrorCode.NOT_A_CUSTOMER, "Only customers place orders.")
    leader_id, warehouse_id = await _orderable_point(session, request.pickup_point_id)
    campaign, items = await _campaign_of(session, request.lines, warehouse_id, now)

    # Claim the key first: a concurrent twin waits here for us to commit, then
    # finds nothing to insert and replays our order instead.
    order_id = (
        await session.execute(
            insert_ignoring_conflicts(session, Order, ["placed_by_id", "idempotency_key"])
            .values(
                number=_order_number(now, zone),
                campaign_id=campaign.id,
                pickup_point_id=request.pickup_point_id,
                leader_id=leader_id,
                customer_id=request.customer.id,
                placed_by_id=request.placed_by.id,
                status=OrderStatus.PENDING_PAYMENT,
                total_fen=0,
                idempotency_key=key,
                request_hash=digest,
                created_at=now,
                expires_at=now + payment_window,
            )
            .returning(Order.id)
        )
    ).scalar_one_or_none()
    if order_id is None:
        replayed = await _replay(session, request, digest)
        assert replayed is not None  # the conflicting row is committed and visible now
        return replayed

    await _check_limits(session, request.customer.id, request.lines, items)
    session.add_all(
        OrderLine(
            order_id=order_id,
            campaign_item_id=line.campaign_item_id,
            product_id=items[line.campaign_item_id].product_id,
            quantity=line.quantity,
            unit_price_fen=items[line.campaign_item_id].group_price_fen,
            amount_fen=line.quantity * items[line.campaign_item_id].group_price_fen,
        )
        for line in request.lines
    )
    await session.flush()
    # The total is summed by the database from the stored lines.
    order = (
        await session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(
                total_fen=select(func.sum(OrderLine.amount_fen))
                .where(OrderLine.order_id == order_id)
                .scalar_subquery()
            )
            .returning(Order)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    ).scalar_one()
    await bind_customer(session, request.customer.id, request.pickup_point_id)
    # Reserve last, just before the caller commits: the items' rows are the
    # ones every order contends for, and each stays locked from its UPDATE to
    # the commit. Reserve in item order: concurrent orders lock the same rows
    # in the same order, so they queue instead of deadlocking.
    for index, line in sorted(enumerate(request.lines), key=lambda p: p[1].campaign_item_id):
        await reserve(
            session, line.campaign_item_id, line.quantity, ["lines", str(index), "quantity"]
        )
    return PlacedOrder(order, replayed=False)
