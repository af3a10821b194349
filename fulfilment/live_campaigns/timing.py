"""A live campaign's own times moved (issue 19): its opening, while it has
not opened; its cutoff, while it has not passed, to any time the rules for
a new campaign allow; its pickup window. Orders placed stay placed: the
cutoff decides only what can still be ordered, and the day is bought at
the (new) cutoff.

Each edit names the campaign's version it was made from; the loser of two
overlapping edits gets STALE and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.campaigns import (
    CampaignDraft,
    check_sale_window,
    check_times,
    check_unique,
)
from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.live_campaigns.editing import check_still_selling
from kernel.clock import as_utc
from kernel.errors import DomainError, NotFound
from kernel.versioning import check_version


@dataclass(frozen=True)
class TimeChanges:
    """The times to set; None leaves one as it is."""

    opens_at: datetime | None = None
    cutoff_at: datetime | None = None
    pickup_start: time | None = None
    pickup_end: time | None = None


def _draft(campaign: Campaign) -> CampaignDraft:
    return CampaignDraft(
        warehouse_id=campaign.warehouse_id,
        delivery_date=campaign.delivery_date,
        opens_at=as_utc(campaign.opens_at),
        cutoff_at=as_utc(campaign.cutoff_at),
        pickup_start=campaign.pickup_start,
        pickup_end=campaign.pickup_end,
    )


async def _check_item_windows(
    session: AsyncSession, campaign_id: int, after: CampaignDraft
) -> None:
    """Every item's own sale window still inside the moved campaign: an item
    selling until 20:00 forbids a cutoff at 18:00 until the item moves."""
    windows = await session.execute(
        select(CampaignItem.sale_starts_at, CampaignItem.sale_ends_at).where(
            CampaignItem.campaign_id == campaign_id,
            (CampaignItem.sale_starts_at.is_not(None)) | (CampaignItem.sale_ends_at.is_not(None)),
        )
    )
    for starts, ends in windows:
        try:
            check_sale_window((starts, ends), after.opens_at, after.cutoff_at, [])
        except DomainError:
            # Named by the campaign's time that moved past the item's window.
            early = starts is not None and starts < after.opens_at
            raise DomainError(
                CampaignErrorCode.SALE_WINDOW_OUTSIDE_CAMPAIGN,
                "An item of the campaign has its own sale window outside the new times: "
                "move the item's window first.",
                ["opensAt" if early else "cutoffAt"],
            ) from None


async def update_campaign_times(
    session: AsyncSession,
    campaign_id: int,
    changes: TimeChanges,
    *,
    expected_version: int,
    zone: ZoneInfo,
    now: datetime,
) -> Campaign:
    """Move some of a live campaign's times, made from ``expected_version``."""
    # FOR UPDATE: the cutoff sweep and a second editor wait for this edit.
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    )
    if campaign is None:
        raise NotFound("Campaign", ["campaignId"])
    check_still_selling(campaign, now, "campaignId")
    check_version(campaign.version, expected_version, "campaign")
    before = _draft(campaign)
    given = {k: v for k, v in vars(changes).items() if v is not None}
    after = replace(before, **given)
    if after == before:
        return campaign
    if after.opens_at != before.opens_at and before.opens_at <= now:
        raise DomainError(
            CampaignErrorCode.INVALID_TIMES,
            "The campaign has opened already: its opening time cannot move.",
            ["opensAt"],
        )
    check_times(after, zone, now)
    if after.cutoff_at != before.cutoff_at:
        await check_unique(session, after, "cutoffAt")
    await _check_item_windows(session, campaign.id, after)
    campaign.opens_at, campaign.cutoff_at = after.opens_at, after.cutoff_at
    campaign.pickup_start, campaign.pickup_end = after.pickup_start, after.pickup_end
    campaign.version += 1
    await session.flush()
    return campaign
