"""A live item's terms edited before the cutoff (issue 19).

- The price is fixed once the item has been ordered: a resident who paid
  one price must not find a neighbour paying another for the same lot.
- The cap can be raised at any time, and lowered, but never below the units
  orders hold already (``reserved``): what is sold stays sold.
- The per-customer limit and the group threshold apply to what happens
  next (a lower limit does not cancel orders placed under the old one).
- The item's own sale window moves anywhere inside the campaign's; orders
  placed outside the new window stay placed.

Each edit names the item's version it was made from; the loser of two
overlapping edits gets STALE (kernel/versioning.py) and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.campaigns import (
    CampaignStatus,
    ItemDraft,
    campaign_status,
    check_item,
    check_sale_window,
)
from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.live_campaigns.errors import LiveCampaignErrorCode
from fulfilment.orders.models import OrderLine
from kernel.clock import as_utc
from kernel.errors import DomainError, NotFound
from kernel.versioning import check_version

EDITABLE = frozenset(
    {
        "group_price_fen",
        "list_price_fen",
        "cap",
        "per_customer_limit",
        "group_threshold",
        "sale_starts_at",
        "sale_ends_at",
    }
)


@dataclass(frozen=True)
class ItemChanges:
    """New terms for an item: each field named in ``given`` is set (None is
    a value: no cap, no limit, no threshold, the campaign's own opening or
    cutoff); the others stay."""

    given: frozenset[str]
    group_price_fen: int = 0
    list_price_fen: int = 0
    cap: int | None = None
    per_customer_limit: int | None = None
    group_threshold: int | None = None
    sale_starts_at: datetime | None = None
    sale_ends_at: datetime | None = None


def check_still_selling(campaign: Campaign, now: datetime, field: str) -> None:
    """Refuse changing a campaign that has cut off (or been cut off early)."""
    if campaign.cutoff_processed_at is not None or (
        campaign_status(campaign, now) is CampaignStatus.CLOSED
    ):
        raise DomainError(
            LiveCampaignErrorCode.CAMPAIGN_CLOSED,
            "The campaign has cut off: it can no longer change.",
            [field],
        )


async def locked_item(session: AsyncSession, item_id: int, now: datetime) -> CampaignItem:
    """The item, locked for this transaction, still selling."""
    # FOR UPDATE: an order reserving units waits for the edit, then checks
    # its units against the cap the edit left.
    item = await session.scalar(
        select(CampaignItem).where(CampaignItem.id == item_id).with_for_update()
    )
    if item is None:
        raise NotFound("CampaignItem", ["itemId"])
    campaign = await session.get(Campaign, item.campaign_id)
    assert campaign is not None  # a foreign key
    check_still_selling(campaign, now, "itemId")
    if item.cancelled_at is not None:
        raise DomainError(
            LiveCampaignErrorCode.ITEM_CANCELLED,
            "The item is cancelled: it no longer sells.",
            ["itemId"],
        )
    return item


def _terms(item: CampaignItem) -> ItemDraft:
    return ItemDraft(
        product_id=item.product_id,
        group_price_fen=item.group_price_fen,
        list_price_fen=item.list_price_fen,
        cap=item.cap,
        per_customer_limit=item.per_customer_limit,
        group_threshold=item.group_threshold,
        sale_starts_at=item.sale_starts_at,
        sale_ends_at=item.sale_ends_at,
    )


async def update_campaign_item(
    session: AsyncSession,
    item_id: int,
    changes: ItemChanges,
    *,
    expected_version: int,
    now: datetime,
) -> CampaignItem:
    """Change some of a live item's terms, made from ``expected_version``."""
    item = await locked_item(session, item_id, now)
    check_version(item.version, expected_version, "campaign item")
    before = _terms(item)
    after = replace(before, **{name: getattr(changes, name) for name in changes.given & EDITABLE})
    if after == before:
        return item
    check_item(after, [])
    campaign = await session.get(Campaign, item.campaign_id)
    assert campaign is not None  # a foreign key
    check_sale_window(
        (after.sale_starts_at, after.sale_ends_at),
        as_utc(campaign.opens_at),
        as_utc(campaign.cutoff_at),
        [],
    )
    repriced = (after.group_price_fen, after.list_price_fen) != (
        before.group_price_fen,
        before.list_price_fen,
    )
    if repriced and await session.scalar(
        select(exists().where(OrderLine.campaign_item_id == item.id))
    ):
        raise DomainError(
            LiveCampaignErrorCode.PRICE_LOCKED,
            "The item has been ordered: its price can no longer change.",
            ["groupPriceFen"],
        )
    if after.cap is not None and after.cap < item.reserved:
        raise DomainError(
            LiveCampaignErrorCode.CAP_BELOW_SOLD,
            f"Orders hold {item.reserved} units already: the cap cannot go below that.",
            ["cap"],
        )
    item.group_price_fen = after.group_price_fen
    item.list_price_fen = after.list_price_fen
    item.cap = after.cap
    item.per_customer_limit = after.per_customer_limit
    item.group_threshold = after.group_threshold
    item.sale_starts_at, item.sale_ends_at = after.sale_starts_at, after.sale_ends_at
    item.version += 1
    await session.flush()
    return item
