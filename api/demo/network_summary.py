"""The two tiers in the demo's summary: one row per grid warehouse (points,
what the trunk brought, when it was unloaded, its vans, their km, what its
handover refunded), and the network's totals (grids, points via grids and
served directly, trunk and last-mile km, the handover's refunds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.network_handover import Handovers
from api.demo.network_region import GridNetwork
from api.demo.network_routes import TierPlans
from fulfilment.routing.models import TrunkStop, TrunkUnserved, UnservedStop
from fulfilment.sorting.models import GridLoad
from leaders.commission.grid_fee_models import GridFeeEntry
from leaders.commission.models import EntryKind


@dataclass
class GridRow:
    name: str
    points: int
    handling_units: int  # cases and totes the trunk brought
    unloaded: str  # local time the trunk left, "–" when no trunk came
    vans: int
    stops: int
    km: float
    refund_fen: int  # refunded at its handover


@dataclass
class TierFigures:
    grids: list[GridRow] = field(default_factory=list)
    via_grids: int = 0
    direct: int = 0
    trunk_trucks: int = 0
    trunk_km: float = 0.0
    trunk_unserved: int = 0  # grids the trunk plan could not reach
    last_mile_km: float = 0.0
    last_mile_unserved: int = 0
    own_km: float = 0.0  # the central's own routes to the points it serves
    handover: Handovers | None = None
    # The grids' fees per piece for the day: accrued less reversed (the ledger's grid book).
    fee_pieces: int = 0
    fee_fen: int = 0

    def render(self, console: Console) -> None:
        """The grids' table, then the network's totals."""
        grids = _table(
            "Grid warehouses", "grid", "points", "handling units", "trunk unloaded",
            "vans", "stops", "km", "handover refunds",
        )  # fmt: skip
        for row in self.grids:
            grids.add_row(
                row.name, str(row.points), f"{row.handling_units:,}", row.unloaded,
                str(row.vans), str(row.stops), f"{row.km:,.1f}", f"¥{row.refund_fen / 100:,.2f}",
            )  # fmt: skip
        console.print(grids)
        tiers = _table("Two tiers", "", "")
        tiers.add_row("grid warehouses", str(len(self.grids)))
        tiers.add_row("points via grids / served directly", f"{self.via_grids} / {self.direct}")
        tiers.add_row("trunk: trucks, km", f"{self.trunk_trucks}, {self.trunk_km:,.1f} km")
        tiers.add_row("last mile: vans' km (grids)", f"{self.last_mile_km:,.1f} km")
        tiers.add_row("central's own routes' km", f"{self.own_km:,.1f} km")
        tiers.add_row(
            "unserved: grids / points of grids",
            f"{self.trunk_unserved} / {self.last_mile_unserved}",
        )
        if self.handover is not None:
            h = self.handover
            tiers.add_row(
                "grid handover refunds",
                f"{h.units} units, {h.refunds} refunds, ¥{h.refund_fen / 100:,.2f}",
            )
        tiers.add_row(
            "grids' fees per piece", f"{self.fee_pieces:,} pieces, ¥{self.fee_fen / 100:,.2f}"
        )
        console.print(tiers)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


async def collect_tiers(
    session: AsyncSession,
    network: GridNetwork,
    plans: TierPlans,
    handover: Handovers,
    zone: ZoneInfo,
) -> TierFigures:
    """Every two-tier figure, read back from the database."""
    day = plans.own.delivery_date
    units = dict(
        (
            await session.execute(
                select(GridLoad.grid_id, func.sum(GridLoad.handling_units))
                .where(GridLoad.central_id == network.central_id, GridLoad.delivery_date == day)
                .group_by(GridLoad.grid_id)
            )
        ).all()
    )
    unloaded = dict(
        (
            await session.execute(
                select(TrunkStop.grid_id, TrunkStop.departure_at).where(
                    TrunkStop.plan_id == plans.trunk.id
                )
            )
        ).all()
    )
    figures = TierFigures(via_grids=network.via_grids, direct=len(network.direct))
    for grid in network.grids:
        plan = plans.grids.get(grid.warehouse_id)
        left = unloaded.get(grid.warehouse_id)
        figures.grids.append(
            GridRow(
                grid.name,
                len(grid.points),
                int(units.get(grid.warehouse_id) or 0),
                f"{left.astimezone(zone):%H:%M}" if left else "–",
                plan.vehicles_used if plan else 0,
                plan.stops if plan else 0,
                plan.distance_m / 1000 if plan else 0.0,
                handover.refund_fen if grid.warehouse_id == handover.grid_id else 0,
            )
        )
    figures.trunk_trucks = plans.trunk.vehicles_used
    figures.trunk_km = plans.trunk.distance_m / 1000
    figures.last_mile_km = sum(p.distance_m for p in plans.grids.values()) / 1000
    figures.own_km = plans.own.distance_m / 1000
    figures.handover = handover
    trunk_unserved = select(func.count()).where(TrunkUnserved.plan_id == plans.trunk.id)
    figures.trunk_unserved = int(await session.scalar(trunk_unserved) or 0)
    grid_plans = [p.id for p in plans.grids.values()]
    unserved = select(func.count()).where(UnservedStop.plan_id.in_(grid_plans))
    figures.last_mile_unserved = int(await session.scalar(unserved) or 0)
    fees = await session.execute(
        select(func.sum(GridFeeEntry.pieces), func.sum(GridFeeEntry.amount_fen)).where(
            GridFeeEntry.grid_id.in_([g.warehouse_id for g in network.grids]),
            GridFeeEntry.kind.in_([EntryKind.ACCRUAL, EntryKind.REVERSAL]),
        )
    )
    pieces, fen = fees.one()
    figures.fee_pieces, figures.fee_fen = int(pieces or 0), int(fen or 0)
    return figures
