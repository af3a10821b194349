"""Error codes of after-sale (surfaced as UserError codes)."""

from enum import Enum


class AfterSaleErrorCode(Enum):
    NOT_PICKED_UP = "NOT_PICKED_UP"
    WINDOW_CLOSED = "AFTER_SALE_WINDOW_CLOSED"
    QUANTITY_EXCEEDED = "QUANTITY_EXCEEDED"
    ALREADY_DECIDED = "ALREADY_DECIDED"
