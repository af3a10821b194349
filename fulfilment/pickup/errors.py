"""Error codes of pickup verification (surfaced as UserError codes)."""

from enum import Enum


class PickupErrorCode(Enum):
    NOT_A_VERIFIER = "NOT_A_VERIFIER"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    NOT_ARRIVED = "NOT_ARRIVED"
    ORDER_NOT_PAID = "ORDER_NOT_PAID"
    NOTHING_TO_PICK_UP = "NOTHING_TO_PICK_UP"
