"""What a client may send: the bounds of every text, date and amount argument.

The one home of the edge's rules. ``limit_for`` picks the rule of an argument
or input field from its GraphQL name (and, where a name is not enough, its
owner's); ``api.graphql.guard`` applies the rules to every request and writes
them into the schema's descriptions, so a client author reads the same rules
the server enforces. Lengths match the database columns the values land in:
a longer value would be refused by PostgreSQL (and silently kept by SQLite).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

# Business dates are never this far away; a year such as 0001 or 9999 makes
# date arithmetic in jobs overflow.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)

# Characters a text may carry besides printable ones: none, or for free
# text, line breaks and tabs.
_LINE_BREAKS = frozenset("\n\r\t")


class Refused(ValueError):
    """A value a rule refuses; ``code`` is a CommonErrorCode name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Text:
    """A string: at most ``max_length`` characters once normalised, no control
    characters (free text may break lines). Codes are NFKC-normalised and
    trimmed, so the full-width digits of a Chinese keyboard read as ASCII;
    names are NFC-normalised and trimmed."""

    max_length: int
    multiline: bool = False
    code: bool = False
    trim: bool = True

    def describe(self) -> str:
        lines = "line breaks allowed" if self.multiline else "one line"
        return f"At most {self.max_length} characters, {lines}, no control characters."

    def clean(self, value: str) -> str:
        """``value`` normalised, or Refused."""
        for char in value:
            category = unicodedata.category(char)
            # Cs: a lone surrogate, which no database can store as UTF-8.
            if category == "Cs" or (
                category == "Cc" and not (self.multiline and char in _LINE_BREAKS)
            ):
                raise Refused("INVALID_CHARACTER", f"Contains the control character {char!r}.")
        value = unicodedata.normalize("NFKC" if self.code else "NFC", value)
        if self.trim:
            value = value.strip()
        if len(value) > self.max_length:
            raise Refused("TOO_LONG", f"At most {self.max_length} characters.")
        return value


@dataclass(frozen=True)
class Whole:
    """An integer between ``low`` and ``high``."""

    low: int
    high: int

    def describe(self) -> str:
        return f"From {self.low} to {self.high}."

    def clean(self, value: int) -> int:
        if not self.low <= value <= self.high:
            raise Refused("OUT_OF_RANGE", self.describe())
        return value


@dataclass(frozen=True)
class Calendar:
    """A date, or a date-time whose date, between EARLIEST and LATEST."""

    def describe(self) -> str:
        return f"Between {EARLIEST.isoformat()} and {LATEST.isoformat()}."

    def clean(self, value: date) -> date:
        if isinstance(value, datetime) and value.utcoffset() is None:
            # An instant without its offset could be any of 24 hours.
            raise Refused("INVALID", "Give the UTC offset, e.g. 2026-12-05T20:00:00+08:00.")
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST <= day <= LATEST:
            raise Refused("OUT_OF_RANGE", self.describe())
        return value


@dataclass(frozen=True)
class LocalTime:
    """A time of day in the platform's zone: an offset would make it another
    zone's, and comparing one with and one without an offset cannot be done."""

    def describe(self) -> str:
        return "A local time in the platform's zone, without an offset."

    def clean(self, value: time) -> time:
        if value.tzinfo is not None:
            raise Refused("INVALID", self.describe())
        return value


Limit = Text | Whole | Calendar | LocalTime

NAME = Text(100)
CODE = Text(64, code=True)
PHONE = Text(32, code=True)
FREE_TEXT = Text(500, multiline=True, trim=False)

# By argument or input field name, then by "Owner.name" where one name has
# two columns behind it.
_TEXT_BY_NAME: dict[str, Text] = {
    "name": NAME,
    "contactName": NAME,
    "customerName": NAME,
    "unit": Text(30),
    "address": Text(300),
    "category": Text(50),
    "contactPhone": PHONE,
    "customerPhone": PHONE,
    "phone": PHONE,
    "reason": FREE_TEXT,
    "note": FREE_TEXT,
    "message": FREE_TEXT,
    "code": Text(32, code=True),
    "idempotencyKey": CODE,
    "key": Text(100, code=True),
    "deliveryRef": CODE,
    "qrPayload": Text(256, code=True),
    "url": Text(500),
    "baseUrl": Text(500),
    "imageUrls": Text(500),
    "photoUrls": Text(500),
    "after": Text(200, code=True),
}
_TEXT_BY_OWNER: dict[str, Text] = {
    "OrderCreateInput.idempotencyKey": Text(100, code=True),
    "LeaderLevelSetInput.name": Text(50),
}
# Prices and costs per unit: well inside the 32-bit columns even when
# multiplied by a line's quantity. Totals (a payout, a level's monthly sales)
# keep GraphQL's own 32-bit range.
_UNIT_FEN = Whole(0, 10_000_000)
_PER_UNIT = frozenset({"groupPriceFen", "listPriceFen", "costFen", "fixedCostFen", "costPerKmFen"})
_CALENDAR = Calendar()
# A search around a place (pickupPointsNear): a walk, not a city.
_RADIUS_M = Whole(1, 5000)


def limit_for(owner: str, name: str, scalar: str) -> Limit | None:
    """The rule for argument or input field ``name`` of ``owner`` (a type name,
    or "Type.field" for a field's argument) whose named type is ``scalar``."""
    if scalar == "String":
        return _TEXT_BY_OWNER.get(f"{owner}.{name}") or _TEXT_BY_NAME.get(name, NAME)
    if scalar == "ID":
        return Text(200, code=True)
    if scalar == "Int" and name in _PER_UNIT:
        return _UNIT_FEN
    if scalar == "Int" and name == "radiusM":
        return _RADIUS_M
    if scalar in ("Date", "DateTime"):
        return _CALENDAR
    if scalar == "Time":
        return LocalTime()
    return None
