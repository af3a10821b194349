"""How big a demo region is: ``small`` (what the tests run), ``medium`` (the
default) and ``large`` (about twice medium)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Size(Enum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass(frozen=True)
class Scale:
    pickup_points: int
    customers: int
    orders: int
    products: int
    suppliers: int
    vehicles: int
    route_time_limit_s: int


SCALES = {
    Size.SMALL: Scale(30, 500, 2_000, 40, 4, 4, 3),
    Size.MEDIUM: Scale(300, 5_000, 30_000, 120, 8, 20, 20),
    Size.LARGE: Scale(600, 10_000, 60_000, 120, 8, 40, 30),
}
