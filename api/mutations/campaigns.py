"""campaignCreate, campaignItemsAdd, pickupPointAssignWarehouse."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.ids import decode
from api.mutations.base import in_transaction
from api.types.campaigns import CampaignItemType, CampaignType
from api.types.common import TimeWindowInput
from api.types.leaders import PickupPointType
from fulfilment.campaigns import campaigns, service_areas
from fulfilment.campaigns.models import Campaign, CampaignItem
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import CommonErrorCode, DomainError
from leaders.points.models import PickupPoint


@strawberry.input
class CampaignItemInput:
    product_id: strawberry.ID
    group_price_fen: int
    list_price_fen: int
    cap: int | None = None
    per_customer_limit: int | None = None
    group_threshold: int | None = None


def _drafts(items: list[CampaignItemInput]) -> list[campaigns.ItemDraft]:
    return [
        campaigns.ItemDraft(
            product_id=decode(item.product_id, "Product", ["items", str(i), "productId"]),
            group_price_fen=item.group_price_fen,
            list_price_fen=item.list_price_fen,
            cap=item.cap,
            per_customer_limit=item.per_customer_limit,
            group_threshold=item.group_threshold,
        )
        for i, item in enumerate(items)
    ]


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise DomainError(
            CommonErrorCode.INVALID, "Give the time with its offset, e.g. +08:00.", [field]
        )
    return value


@strawberry.input
class CampaignCreateInput:
    warehouse_id: strawberry.ID
    delivery_date: date
    opens_at: datetime
    cutoff_at: datetime
    pickup_window: TimeWindowInput
    items: list[CampaignItemInput]


@strawberry.type
class CampaignPayload:
    campaign: CampaignType | None
    user_errors: list[UserError]


async def campaign_create(info: Info, input: CampaignCreateInput) -> CampaignPayload:
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Campaign:
        draft = campaigns.CampaignDraft(
            warehouse_id=decode(input.warehouse_id, "Warehouse", ["warehouseId"]),
            delivery_date=input.delivery_date,
            opens_at=_aware(input.opens_at, "opensAt"),
            cutoff_at=_aware(input.cutoff_at, "cutoffAt"),
            pickup_start=input.pickup_window.start,
            pickup_end=input.pickup_window.end,
        )
        return await campaigns.create_campaign(
            session,
            draft,
            _drafts(input.items),
            created_by=operator,
            zone=ctx.settings.zone,
            now=utcnow(),
        )

    campaign, errors = await in_transaction(ctx, work)
    return CampaignPayload(
        campaign=CampaignType.of(campaign) if campaign else None, user_errors=errors
    )


@strawberry.input
class CampaignItemsAddInput:
    campaign_id: strawberry.ID
    items: list[CampaignItemInput]


@strawberry.type
class CampaignItemsAddPayload:
    items: list[CampaignItemType]
    user_errors: list[UserError]


async def campaign_items_add(info: Info, input: CampaignItemsAddInput) -> CampaignItemsAddPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> list[CampaignItem]:
        campaign_id = decode(input.campaign_id, "Campaign", ["campaignId"])
        return await campaigns.add_campaign_items(
            session, campaign_id, _drafts(input.items), now=utcnow()
        )

    items, errors = await in_transaction(info.context, work)
    return CampaignItemsAddPayload(
        items=[CampaignItemType.of(i) for i in items or []], user_errors=errors
    )


@strawberry.input
class PickupPointAssignWarehouseInput:
    pickup_point_id: strawberry.ID
    warehouse_id: strawberry.ID


@strawberry.type
class PickupPointPayload:
    pickup_point: PickupPointType | None
    user_errors: list[UserError]


async def pickup_point_assign_warehouse(
    info: Info, input: PickupPointAssignWarehouseInput
) -> PickupPointPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> PickupPoint:
        point_id = decode(input.pickup_point_id, "PickupPoint", ["pickupPointId"])
        warehouse_id = decode(input.warehouse_id, "Warehouse", ["warehouseId"])
        await service_areas.assign_warehouse(session, point_id, warehouse_id)
        point = await session.get(PickupPoint, point_id)
        assert point is not None
        return point

    point, errors = await in_transaction(info.context, work)
    return PickupPointPayload(
        pickup_point=PickupPointType.of(point) if point else None, user_errors=errors
    )
