"""campaignCopy (tomorrow's campaign from today's), campaignUpdate (a live
campaign's times), campaignItemUpdate (a live item's terms),
campaignItemWithdraw and campaignCancel; operators only."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.campaigns.mutations import CampaignPayload, aware
from api.graphql.campaigns.types import CampaignItemType, CampaignType
from api.graphql.common import TimeWindowInput
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.transactions import in_transaction
from fulfilment.campaigns.copying import copy_campaign
from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.live_campaigns.editing import EDITABLE, ItemChanges, update_campaign_item
from fulfilment.live_campaigns.timing import TimeChanges, update_campaign_times
from fulfilment.live_campaigns.withdrawal import CalledOff, cancel_campaign, withdraw_item
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.notifications import gateway_from


@strawberry.input
class CampaignCopyInput:
    campaign_id: strawberry.ID
    delivery_date: date = strawberry.field(
        description="The new campaign's; its sale window moves by as many days."
    )


async def campaign_copy(info: Info, input: CampaignCopyInput) -> CampaignPayload:
    """A campaign made from another for a new delivery date: items, prices
    and limits kept, nothing sold."""
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Campaign:
        source = decode(input.campaign_id, "Campaign", ["campaignId"])
        return await copy_campaign(
            session,
            source,
            input.delivery_date,
            created_by=operator,
            zone=ctx.settings.zone,
            now=utcnow(),
        )

    campaign, errors = await in_transaction(ctx, work)
    return CampaignPayload(
        campaign=CampaignType.of(campaign) if campaign else None, user_errors=errors
    )


@strawberry.input
class CampaignUpdateInput:
    campaign_id: strawberry.ID
    expected_version: int = strawberry.field(
        description="The campaign's version the edit was made from."
    )
    opens_at: datetime | None = strawberry.field(
        default=None, description="Only before the campaign opens."
    )
    cutoff_at: datetime | None = strawberry.field(
        default=None, description="Still in the future, no later than the delivery date."
    )
    pickup_window: TimeWindowInput | None = None


async def campaign_update(info: Info, input: CampaignUpdateInput) -> CampaignPayload:
    """Move a live campaign's opening (before it opens), cutoff (before it
    passes) or pickup window; null leaves one as it is."""
    ctx = info.context
    ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Campaign:
        window = input.pickup_window
        changes = TimeChanges(
            opens_at=aware(input.opens_at, "opensAt") if input.opens_at else None,
            cutoff_at=aware(input.cutoff_at, "cutoffAt") if input.cutoff_at else None,
            pickup_start=window.start if window else None,
            pickup_end=window.end if window else None,
        )
        return await update_campaign_times(
            session,
            decode(input.campaign_id, "Campaign", ["campaignId"]),
            changes,
            expected_version=input.expected_version,
            zone=ctx.settings.zone,
            now=utcnow(),
        )

    campaign, errors = await in_transaction(ctx, work)
    return CampaignPayload(
        campaign=CampaignType.of(campaign) if campaign else None, user_errors=errors
    )


@strawberry.input
class CampaignItemUpdateInput:
    item_id: strawberry.ID
    expected_version: int = strawberry.field(
        description="The item's version the edit was made from."
    )
    group_price_fen: int | None = strawberry.UNSET
    list_price_fen: int | None = strawberry.UNSET
    cap: int | None = strawberry.field(default=strawberry.UNSET, description="null: no cap.")
    per_customer_limit: int | None = strawberry.field(
        default=strawberry.UNSET, description="null: no limit."
    )
    group_threshold: int | None = strawberry.field(
        default=strawberry.UNSET, description="null: no threshold."
    )
    sale_starts_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="null: from the campaign's opening."
    )
    sale_ends_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="null: until the campaign's cutoff."
    )


@strawberry.type
class CampaignItemUpdatePayload:
    item: CampaignItemType | None
    user_errors: list[UserError]


def _changes(input: CampaignItemUpdateInput) -> ItemChanges:
    given = {n for n in EDITABLE if getattr(input, n) is not strawberry.UNSET}
    values = {n: getattr(input, n) for n in given}
    # A price cannot be "none": null for a price is an invalid price.
    for price in ("group_price_fen", "list_price_fen"):
        if price in values and values[price] is None:
            values[price] = 0
    for moment, field in (("sale_starts_at", "saleStartsAt"), ("sale_ends_at", "saleEndsAt")):
        if values.get(moment) is not None:
            values[moment] = aware(values[moment], field)
    return ItemChanges(given=frozenset(given), **values)


async def campaign_item_update(
    info: Info, input: CampaignItemUpdateInput
) -> CampaignItemUpdatePayload:
    """Change a live item's prices (before its first order), cap (never
    below what orders hold), per-customer limit or group threshold."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> CampaignItem:
        item_id = decode(input.item_id, "CampaignItem", ["itemId"])
        return await update_campaign_item(
            session,
            item_id,
            _changes(input),
            expected_version=input.expected_version,
            now=utcnow(),
        )

    item, errors = await in_transaction(info.context, work)
    return CampaignItemUpdatePayload(
        item=CampaignItemType.of(item) if item else None, user_errors=errors
    )


@strawberry.input
class CampaignItemWithdrawInput:
    item_id: strawberry.ID
    expected_version: int = strawberry.field(
        description="The item's version the withdrawal was decided on."
    )


@strawberry.type
class CampaignItemWithdrawPayload:
    item: CampaignItemType | None
    cancelled_orders: int = strawberry.field(description="Unpaid orders holding it, cancelled.")
    refunded_lines: int = strawberry.field(description="Paid lines refunded (reason WITHDRAWN).")
    refunded_fen: int
    user_errors: list[UserError]


async def campaign_item_withdraw(
    info: Info, input: CampaignItemWithdrawInput
) -> CampaignItemWithdrawPayload:
    """Take an item off a live campaign: paid lines refunded, unpaid orders
    holding it cancelled, no more orders for it."""
    ctx = info.context
    ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> tuple[CampaignItem, CalledOff]:
        item_id = decode(input.item_id, "CampaignItem", ["itemId"])
        return await withdraw_item(
            session,
            item_id,
            expected_version=input.expected_version,
            now=utcnow(),
            gateway=gateway_from(ctx.settings),
        )

    done, errors = await in_transaction(ctx, work)
    item, called_off = done or (None, CalledOff(0, 0, 0))
    return CampaignItemWithdrawPayload(
        item=CampaignItemType.of(item) if item else None,
        cancelled_orders=called_off.cancelled_orders,
        refunded_lines=called_off.refunded_orders,
        refunded_fen=called_off.refunded_fen,
        user_errors=errors,
    )


@strawberry.input
class CampaignCancelInput:
    campaign_id: strawberry.ID


@strawberry.type
class CampaignCancelPayload:
    campaign: CampaignType | None
    cancelled_orders: int = strawberry.field(description="Unpaid orders, cancelled.")
    refunded_orders: int = strawberry.field(description="Paid orders, refunded what was left.")
    refunded_fen: int
    user_errors: list[UserError]


async def campaign_cancel(info: Info, input: CampaignCancelInput) -> CampaignCancelPayload:
    """Call a campaign off before its cutoff: everything paid refunded,
    everything unpaid cancelled, nothing bought."""
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> tuple[Campaign, CalledOff]:
        campaign_id = decode(input.campaign_id, "Campaign", ["campaignId"])
        return await cancel_campaign(
            session, campaign_id, by=operator, now=utcnow(), gateway=gateway_from(ctx.settings)
        )

    done, errors = await in_transaction(ctx, work)
    campaign, called_off = done or (None, CalledOff(0, 0, 0))
    return CampaignCancelPayload(
        campaign=CampaignType.of(campaign) if campaign else None,
        cancelled_orders=called_off.cancelled_orders,
        refunded_orders=called_off.refunded_orders,
        refunded_fen=called_off.refunded_fen,
        user_errors=errors,
    )
