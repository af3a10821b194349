"""How big a demo region is: ``small`` (what the tests run), ``medium`` (the
default) and ``large`` (about twice medium)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# The ``--size`` choices.
Size = Enum("Size", [("SMALL", "small"), ("MEDIUM", "medium"), ("LARGE", "large")])
# The ``--network`` choices: one warehouse straight to its points, or a
# central warehouse with grid warehouses (api/demo/network*.py).
Network = Enum("Network", [("SINGLE", "single"), ("TWO_TIER", "two-tier")])


@dataclass(frozen=True)
class Scale:
    pickup_points: int  # each with an approved leader
    customers: int  # with a token each
    orders: int  # asked of orderCreate; a few are refused (sold out)
    # Products (at most 120) and the suppliers they are shared among.
    products: int
    suppliers: int
    vehicles: int  # half vans, half trucks
    route_time_limit_s: int  # the planner's search time


SCALES = {
    Size.SMALL: Scale(30, 500, 2_000, 40, 4, 4, 3),
    Size.MEDIUM: Scale(300, 5_000, 30_000, 120, 8, 20, 10),
    Size.LARGE: Scale(600, 10_000, 60_000, 120, 8, 40, 20),
}
