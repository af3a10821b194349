"""Error codes of pickup points' helpers (surfaced as UserError codes)."""

from __future__ import annotations

from enum import Enum


class PickupHelperErrorCode(Enum):
    NOT_A_CUSTOMER = "HELPER_NOT_A_CUSTOMER"
    HELPER_ELSEWHERE = "HELPER_ELSEWHERE"
    TOO_MANY_HELPERS = "TOO_MANY_HELPERS"
    HELPER_NOT_PENDING = "HELPER_NOT_PENDING"
