"""Error codes of warehouses, the catalogue and campaigns (surfaced as UserError codes)."""

from enum import Enum


class CampaignErrorCode(Enum):
    DUPLICATE_NAME = "DUPLICATE_NAME"
    NOT_A_SUPPLIER_ACCOUNT = "NOT_A_SUPPLIER_ACCOUNT"
    INVALID_TIMES = "INVALID_TIMES"
    CAMPAIGN_EXISTS = "CAMPAIGN_EXISTS"
    DUPLICATE_ITEM = "DUPLICATE_ITEM"
    INVALID_PRICE = "INVALID_PRICE"
    CAMPAIGN_STARTED = "CAMPAIGN_STARTED"
    # An item's own sale window not inside its campaign's (or ending first).
    SALE_WINDOW_OUTSIDE_CAMPAIGN = "SALE_WINDOW_OUTSIDE_CAMPAIGN"
    # A cost change dated before today, or on a day already bought at the old cost.
    COST_RETROACTIVE = "COST_RETROACTIVE"
