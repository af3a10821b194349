"""Error codes of live campaign edits (surfaced as UserError codes)."""

from enum import Enum


class LiveCampaignErrorCode(Enum):
    CAMPAIGN_CLOSED = "CAMPAIGN_CLOSED"  # cut off: nothing about it changes any more
    ITEM_CANCELLED = "ITEM_CANCELLED"  # withdrawn or below its threshold
    PRICE_LOCKED = "PRICE_LOCKED"  # ordered at this price already
    CAP_BELOW_SOLD = "CAP_BELOW_SOLD"  # orders hold more units than the new cap
