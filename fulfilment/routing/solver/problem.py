"""The routing problem as plain numbers, and the plan that answers it.

Node 0 is the warehouse; node ``i + 1`` is ``stops[i]``. Times are seconds
from the start of the delivery day (local midnight) and distances are
metres, both integers, so that the solver, the independent checker and the
database all agree to the unit. The benchmark reuses the same structures
with Solomon's units (tenths of a distance unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import numpy.typing as npt

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class StopSpec:
    """One pickup point to visit: what it receives and when it can."""

    weight_g: int
    totes: int
    window_open_s: int
    window_close_s: int
    service_s: int


@dataclass(frozen=True)
class VehicleSpec:
    """One physical vehicle (a vehicle type expanded by its count)."""

    capacity_g: int
    capacity_totes: int
    fixed_cost: int  # fen when the vehicle is used at all
    cost_per_km: int  # fen per km driven
    shift_start_s: int
    max_shift_s: int


@dataclass
class RoutingProblem:
    """Everything the solver needs; built by the planner from the database
    or by the benchmark from a Solomon file."""

    distance_m: IntMatrix
    travel_s: IntMatrix
    stops: list[StopSpec]
    vehicles: list[VehicleSpec]
    loading_s: int = 0
    horizon_s: int = 48 * 3600
    # vehicle index -> stop indices that must stay on that vehicle, in order
    locked: dict[int, list[int]] = field(default_factory=dict)
    # a starting plan (vehicle index -> stop indices), e.g. the edited plan
    initial_routes: dict[int, list[int]] | None = None
    # (x, y) per node, only used to split very large days into sectors
    coordinates: list[tuple[float, float]] | None = None

    @property
    def size(self) -> int:
        return len(self.stops)


class DropReason(Enum):
    TOO_HEAVY = "too_heavy"
    WINDOW_UNREACHABLE = "window_unreachable"
    NOT_ENOUGH_VEHICLES = "not_enough_vehicles"


@dataclass(frozen=True)
class Visit:
    stop: int  # index into problem.stops
    arrival_s: int
    start_s: int  # service start: arrival, or window opening after a wait
    departure_s: int
    load_g_after: int
    totes_after: int


@dataclass(frozen=True)
class PlannedRoute:
    vehicle: int
    visits: list[Visit]
    departure_s: int  # leaves the warehouse, loaded
    return_s: int
    distance_m: int
    weight_g: int
    totes: int

    @property
    def duration_s(self) -> int:
        return self.return_s - self.departure_s


@dataclass(frozen=True)
class Plan:
    routes: list[PlannedRoute]
    dropped: dict[int, DropReason]
    cost: int
    first_solution_s: float
    solve_s: float

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)
