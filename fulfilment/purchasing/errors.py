"""Error codes of purchasing and receiving (surfaced as UserError codes)."""

from enum import Enum


class PurchasingErrorCode(Enum):
    RECEIVING_CLOSED = "RECEIVING_CLOSED"
    NOT_ON_PURCHASE_ORDER = "NOT_ON_PURCHASE_ORDER"
    INVALID_UNITS = "INVALID_UNITS"
