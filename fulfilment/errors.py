"""Error codes of the fulfilment domain (surfaced as UserError codes)."""

from enum import Enum


class FulfilmentErrorCode(Enum):
    DUPLICATE_NAME = "DUPLICATE_NAME"
