"""What a plan's stops are (its "sites"): pickup points on a delivery plan
(``RouteStop``, ``UnservedStop``), grid warehouses on a trunk plan
(``TrunkStop``, ``TrunkUnserved``). Reading a stored plan, editing its
stops and re-planning around locked ones go through one code path for
both; this says which tables and words that path uses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from fulfilment.routing.models import (
    PlanKind,
    RoutePlan,
    RouteStop,
    TrunkStop,
    TrunkUnserved,
    UnservedStop,
)
from kernel.errors import CommonErrorCode, DomainError

Stop = RouteStop | TrunkStop
Unserved = UnservedStop | TrunkUnserved


@dataclass(frozen=True)
class Sites:
    """The tables of one kind of stop, and how a user names one."""

    kind: PlanKind
    stop: type[RouteStop] | type[TrunkStop]
    unserved: type[UnservedStop] | type[TrunkUnserved]
    column: str  # the site's column in both tables
    field: str  # the API field that names one site
    noun: str
    units: str  # what ``totes`` counts on this kind of plan

    @property
    def stop_site(self) -> ColumnElement[int]:
        site: ColumnElement[int] = getattr(self.stop, self.column)
        return site

    @property
    def unserved_site(self) -> ColumnElement[int]:
        site: ColumnElement[int] = getattr(self.unserved, self.column)
        return site

    def site_of(self, row: Stop | Unserved) -> int:
        """The pickup point or grid a stop (or unserved) row is about."""
        site: int = getattr(row, self.column)
        return site

    def new_stop(self, plan_id: int, site_id: int) -> Stop:
        """A stop row (not yet scheduled) for ``site_id`` on the plan."""
        return self.stop(plan_id=plan_id, **{self.column: site_id})


POINTS = Sites(
    PlanKind.DELIVERY,
    RouteStop,
    UnservedStop,
    "pickup_point_id",
    "pickupPointId",
    "pickup point",
    "totes",
)
GRIDS = Sites(
    PlanKind.TRUNK,
    TrunkStop,
    TrunkUnserved,
    "grid_id",
    "gridId",
    "grid warehouse",
    "handling units",
)


def sites_of(kind: PlanKind) -> Sites:
    return GRIDS if kind is PlanKind.TRUNK else POINTS


def plan_sites(plan: RoutePlan, named: Sites | None = None, *, many: bool = False) -> Sites:
    """The plan's kind of stop; ``named``: the kind the caller named its
    stops as (a grid on a delivery plan, a pickup point on a trunk plan:
    refused on the field the caller used; ``many``: a list field)."""
    sites = sites_of(plan.kind)
    if named is not None and named is not sites:
        plural = "s" if many else ""
        raise DomainError(
            CommonErrorCode.INVALID,
            f"The plan's stops are {sites.noun}s: give {sites.field}{plural}, "
            f"not {named.field}{plural}.",
            [named.field + plural],
        )
    return sites
