"""orderCreate's rules in Python, for databases without the PostgreSQL
function (SQLite, the embedded default). The same rules, in the same order,
as ``tuangou_place_order`` in migrations/versions/0010_place_order_function.py;
the order tests run on both databases and so check that the two agree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns import CampaignStatus, campaign_status
from fulfilment.models import (
    HOLDING,
    Campaign,
    CampaignItem,
    Order,
    OrderLine,
    OrderStatus,
    ServiceArea,
)
from fulfilment.orders import order_errors
from fulfilment.orders.order_requests import LineRequest, OrderRequest, PlacedOrder
from fulfilment.orders.reservations import reserve
from kernel.accounts import User
from kernel.db import insert_ignoring_conflicts
from leaders.customers import bind_customer
from leaders.models import Leader, LeaderStatus, PickupPoint


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
        raise order_errors.idempotency_conflict()
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
        raise order_errors.point_not_found()
    leader_id, status, warehouse_id = row
    if status is not LeaderStatus.APPROVED:
        raise order_errors.point_inactive()
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
            raise order_errors.item_not_found(index)
    campaigns = {c.id: c for _, c in rows}
    if len(campaigns) > 1:
        raise order_errors.mixed_campaigns()
    campaign = next(iter(campaigns.values()))
    if campaign_status(campaign, now) is not CampaignStatus.OPEN:
        raise order_errors.campaign_closed()
    if campaign.warehouse_id != warehouse_id:
        raise order_errors.point_not_served()
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
            raise order_errors.limit_exceeded(index, limit, allowed)


async def place_portably(
    session: AsyncSession,
    request: OrderRequest,
    *,
    digest: str,
    number: str,
    now: datetime,
    expires_at: datetime,
) -> PlacedOrder:
    """Place a checked request in the caller's transaction (see place_order)."""
    if (replayed := await _replay(session, request, digest)) is not None:
        return replayed
    leader_id, warehouse_id = await _orderable_point(session, request.pickup_point_id)
    campaign, items = await _campaign_of(session, request.lines, warehouse_id, now)

    # Claim the key first: a concurrent twin waits here for us to commit, then
    # finds nothing to insert and replays our order instead.
    order_id = (
        await session.execute(
            insert_ignoring_conflicts(session, Order, ["placed_by_id", "idempotency_key"])
            .values(
                number=number,
                campaign_id=campaign.id,
                pickup_point_id=request.pickup_point_id,
                leader_id=leader_id,
                customer_id=request.customer.id,
                placed_by_id=request.placed_by.id,
                status=OrderStatus.PENDING_PAYMENT,
                total_fen=0,
                idempotency_key=request.idempotency_key,
                request_hash=digest,
                created_at=now,
                expires_at=expires_at,
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
    # Reserve last and in item order (see the PostgreSQL function for why).
    for index, line in sorted(enumerate(request.lines), key=lambda p: p[1].campaign_item_id):
        await reserve(
            session, line.campaign_item_id, line.quantity, ["lines", str(index), "quantity"]
        )
    return PlacedOrder(order, replayed=False)
