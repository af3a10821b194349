"""Error codes of leader applications and pickup points (surfaced as UserError codes)."""

from enum import Enum


class LeaderErrorCode(Enum):
    ALREADY_APPLIED = "ALREADY_APPLIED"
    NOT_A_CUSTOMER = "NOT_A_CUSTOMER"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_WINDOW = "INVALID_WINDOW"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_NAME = "INVALID_NAME"
    REASON_REQUIRED = "REASON_REQUIRED"
