"""The grids' morning: each grid operator signs for what the trunk brought
(``gridHandoverSign``), one grid finding a few units missing and one
damaged, which are refunded to that grid's customers and charged to the
carrier; then the grids' vans deliver, their drivers report arriving and
handing over at every stop, and the points' leaders sign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from api.demo.context import Day
from api.demo.network_region import GridNetwork
from api.demo.network_routes import TierPlans
from fulfilment.delivery.grid_handover import charge_grid_issue, sign_grid_handover
from fulfilment.delivery.models import ChargedParty, DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport, sign_delivery
from fulfilment.delivery.stops import record_arrival, record_hand_over
from fulfilment.routing.models import Route, RouteStop, TrunkStop
from fulfilment.sorting.grids import grid_pick_list
from kernel.db import unit_of_work

GRID_MISSING_UNITS = 3  # of one product, at the one grid that reports
GRID_DAMAGED_UNITS = 1  # of another


@dataclass
class Handovers:
    """The grids' signatures: how many signed, and what the one grid that
    found the trunk short (``grid_id``) reported and had refunded."""

    grid_id: int
    signed: int = 0
    units: int = 0
    refunds: int = 0
    refund_fen: int = 0


async def _reports(day: Day, network: GridNetwork, grid_id: int) -> list[IssueReport]:
    """What the reporting grid finds: units of a product missing, one of
    another damaged (products the trunk brought enough of, else its largest)."""
    async with day.sessions() as session:
        lines = await grid_pick_list(
            session, network.central_id, day.timeline.delivery_date, grid_id
        )
    plenty = [line for line in lines if line.units >= GRID_MISSING_UNITS]
    plenty = plenty or sorted(lines, key=lambda line: -line.units)[:1]
    picked = day.rng.sample(plenty, min(2, len(plenty)))
    missing = picked[0]
    reports = [
        IssueReport(
            missing.product_id, DeliveryIssueKind.MISSING, min(GRID_MISSING_UNITS, missing.units)
        )
    ]
    for damaged in picked[1:]:
        reports.append(
            IssueReport(damaged.product_id, DeliveryIssueKind.DAMAGED, GRID_DAMAGED_UNITS)
        )
    return reports


async def sign_handovers(day: Day, network: GridNetwork, plans: TierPlans) -> Handovers:
    """Every grid that was sent goods signs for them when the trunk has
    unloaded there, one of them reporting missing and damaged units."""
    sessions, timeline = day.sessions, day.timeline
    async with sessions() as session:
        unloaded = dict(
            (
                await session.execute(
                    select(TrunkStop.grid_id, TrunkStop.departure_at).where(
                        TrunkStop.plan_id == plans.trunk.id
                    )
                )
            ).all()
        )
    # The grid serving most points finds the trunk short.
    reporting = max(plans.grids, key=lambda g: (len(network.grid(g).points), -g))
    tally = Handovers(reporting)
    title = "Grid handovers: operators sign for the trunk"
    with day.steps.step(title, total=len(plans.grids)) as bar:
        for grid_id in plans.grids:
            site = network.grid(grid_id)
            issues = await _reports(day, network, grid_id) if grid_id == reporting else []
            async with unit_of_work(sessions) as session:
                handover = await sign_grid_handover(
                    session,
                    site.operator_id,
                    grid_id,
                    timeline.delivery_date,
                    issues,
                    note="干线少货、破损各有" if issues else None,
                    now=unloaded.get(grid_id) or timeline.at(6, 30),
                )
                for issue, refunds in handover.issues:
                    # The carrier's loader broke and lost them: it is charged.
                    await charge_grid_issue(
                        session,
                        issue.id,
                        ChargedParty.CARRIER,
                        by=day.region.operator_id,
                        now=timeline.at(9),
                    )
                    tally.units += issue.quantity
                    tally.refunds += len(refunds)
                    tally.refund_fen += sum(r.amount_fen for r in refunds)
            tally.signed += 1
            bar.advance()
        bar.note = (
            f"{tally.signed} grids signed; {network.grid(reporting).name}: {tally.units} units "
            f"short, {tally.refunds} refunds, ¥{tally.refund_fen / 100:,.2f}"
        )
    return tally


async def deliver_last_mile(day: Day, plans: TierPlans) -> int:
    """The grids' vans: arrival and hand-over at every stop, each reported
    by the route's driver, and the point's leader signs; the stops served."""
    sessions, region = day.sessions, day.region
    plan_ids = [plan.id for plan in plans.grids.values()]
    async with sessions() as session:
        stops = (
            await session.scalars(
                select(RouteStop)
                .where(RouteStop.plan_id.in_(plan_ids))
                .order_by(RouteStop.plan_id, RouteStop.route_id, RouteStop.position)
            )
        ).all()
        routes = select(Route.id, Route.driver_id).where(Route.plan_id.in_(plan_ids))
        drivers = {row.id: row.driver_id for row in await session.execute(routes)}
    leader_of_point = {p.id: p.leader_user_id for p in region.points}
    title = "Last-mile delivery: arrivals, hand-overs, leaders sign"
    with day.steps.step(title, total=len(stops)) as bar:
        for stop in stops:
            # One transaction per report, as the driver's and leader's phones send them.
            driver_id = drivers[stop.route_id]
            async with unit_of_work(sessions) as session:
                await record_arrival(session, stop.id, stop.arrival_at, driver_id)
            async with unit_of_work(sessions) as session:
                await record_hand_over(session, stop.id, stop.departure_at, driver_id)
            async with unit_of_work(sessions) as session:
                await sign_delivery(
                    session,
                    leader_of_point[stop.pickup_point_id],
                    route_stop_id=stop.id,
                    now=stop.departure_at + timedelta(minutes=5),
                )
            bar.advance()
        bar.note = f"{len(stops)} stops of {len(plan_ids)} grids signed"
    return len(stops)
