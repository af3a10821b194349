"""Which of the night's steps are due, per warehouse and delivery date.

The cutoff and consolidation start themselves (fulfilment/purchasing/jobs.py,
every minute) and the leaders' settlement has its own hourly job; this is
what follows the suppliers' deliveries:

1. ``sort``: shortage allocation, then sorting into pick lists and totes.
   Due once every campaign of the day is cut off and every purchase order
   of the day has its receiving closed, or, whatever receiving says, at the
   latest sorting time on the delivery date (settings ``night_sort_latest``).
2. ``plan``: a draft route plan for the dispatcher (never published: a person
   decides). Due once ``sort`` has succeeded and the planning time has come
   (``night_plan_at``); skipped when the day has a plan already. A central
   warehouse with grid warehouses (fulfilment/network) also gets a ``trunk``
   step then (its trucks to the grids), and once that is done each grid a
   ``plan`` step of its own: the last-mile plan of the points it serves.

A step not due says why (``Waiting``); a step that is due but whose time is
long past (an outage) is due all the same, once, in order: the schedule is
a pure function of the day's state and the clock, so it catches up by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.network.models import GridWarehouse
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.routing.models import PlanKind, RoutePlan, RoutePlanStatus
from kernel.jobs.models import Job, JobStatus

SORT_STEP = "night.sort"
PLAN_STEP = "night.plan"
TRUNK_STEP = "night.trunk"


def step_key(step: str, warehouse_id: int, day: date) -> str:
    """The job key of one step of one warehouse's night: each runs once."""
    return f"{step}:{warehouse_id}:{day.isoformat()}"


@dataclass(frozen=True)
class Times:
    """When the steps are due, local time on the delivery date."""

    zone: ZoneInfo
    sort_latest: time
    plan_at: time
    catch_up_days: int

    def on(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, self.zone)


@dataclass(frozen=True)
class Due:
    step: str
    warehouse_id: int
    delivery_date: date
    late: bool  # its time passed long ago: a catch-up

    @property
    def key(self) -> str:
        return step_key(self.step, self.warehouse_id, self.delivery_date)


@dataclass(frozen=True)
class Waiting:
    step: str
    warehouse_id: int
    delivery_date: date
    reason: str


@dataclass(frozen=True)
class _Day:
    warehouse_id: int
    delivery_date: date
    open_campaigns: int
    purchase_orders: int
    receiving_open: int


async def _days(session: AsyncSession, since: date) -> list[_Day]:
    """Each warehouse's delivery dates from ``since`` on that have a
    campaign, with what the steps depend on, in two grouped queries."""
    campaigns = await session.execute(
        select(
            Campaign.warehouse_id,
            Campaign.delivery_date,
            func.count().filter(
                and_(Campaign.cutoff_processed_at.is_(None), Campaign.cancelled_at.is_(None))
            ),
        )
        .where(Campaign.delivery_date >= since)
        .group_by(Campaign.warehouse_id, Campaign.delivery_date)
        .order_by(Campaign.delivery_date, Campaign.warehouse_id)
    )
    pos = await session.execute(
        select(
            PurchaseOrder.warehouse_id,
            PurchaseOrder.delivery_date,
            func.count(),
            func.count().filter(PurchaseOrder.receiving_closed_at.is_(None)),
        )
        .where(PurchaseOrder.delivery_date >= since)
        .group_by(PurchaseOrder.warehouse_id, PurchaseOrder.delivery_date)
    )
    orders = {(w, d): (int(n), int(o)) for w, d, n, o in pos}
    return [_Day(w, d, int(open_), *orders.get((w, d), (0, 0))) for w, d, open_ in campaigns]


# A step this much past its time runs as a catch-up (said so in the job list).
LATE_AFTER = timedelta(hours=1)

# A step that failed this many times waits for an operator's retry (the job
# list) instead of failing again every minute.
MAX_ATTEMPTS = 3


async def _step_states(session: AsyncSession, keys: list[str]) -> dict[str, JobStatus]:
    """Each started step's status; one failed too often reads as RUNNING
    (not to be started again by the schedule)."""
    if not keys:
        return {}
    rows = await session.execute(select(Job.key, Job.status, Job.attempts).where(Job.key.in_(keys)))
    return {
        str(key): JobStatus.RUNNING
        if status is JobStatus.FAILED and attempts >= MAX_ATTEMPTS
        else status
        for key, status, attempts in rows
    }


async def _planned_days(session: AsyncSession, since: date) -> set[tuple[int, date, PlanKind]]:
    # A plan the schedule requested and never got planned (its worker died)
    # does not count: the step's next attempt plans it.
    left_planning = and_(
        RoutePlan.created_by_id.is_(None), RoutePlan.status == RoutePlanStatus.PLANNING
    )
    rows = await session.execute(
        select(RoutePlan.warehouse_id, RoutePlan.delivery_date, RoutePlan.kind)
        .where(RoutePlan.delivery_date >= since, ~left_planning)
        .distinct()
    )
    return {(w, d, k) for w, d, k in rows}


def _sort_wait(day: _Day, now: datetime, times: Times) -> str | None:
    """Why sorting cannot start yet, or None when it is due."""
    if day.open_campaigns:
        return f"{day.open_campaigns} campaign(s) not cut off yet"
    if now >= times.on(day.delivery_date, times.sort_latest):
        return None
    if day.receiving_open:
        return (
            f"receiving open on {day.receiving_open} of {day.purchase_orders} purchase orders "
            f"(sorting starts anyway at {times.sort_latest:%H:%M})"
        )
    return None


@dataclass
class _Plans:
    """Deciding the plan steps: a day's plan of a kind is due at the
    planning time unless the day has one already, or its step succeeded."""

    now: datetime
    times: Times
    planned: set[tuple[int, date, PlanKind]]
    states: dict[str, JobStatus]
    due: list[Due]
    waiting: list[Waiting]

    def done(self, step: str, warehouse_id: int, day: date) -> bool:
        kind = PlanKind.TRUNK if step == TRUNK_STEP else PlanKind.DELIVERY
        state = self.states.get(step_key(step, warehouse_id, day))
        return (warehouse_id, day, kind) in self.planned or state is JobStatus.SUCCEEDED

    def consider(self, step: str, warehouse_id: int, day: date) -> None:
        if self.done(step, warehouse_id, day):
            return
        where = (warehouse_id, day)
        plan_at = self.times.on(day, self.times.plan_at)
        if self.now < plan_at:
            reason = f"planning starts at {self.times.plan_at:%H:%M}"
            self.waiting.append(Waiting(step, *where, reason))
        elif self.states.get(step_key(step, *where)) in (
            None,
            JobStatus.QUEUED,
            JobStatus.FAILED,
        ):
            self.due.append(Due(step, *where, late=self.now - plan_at > LATE_AFTER))

    def consider_tiers(self, central: int, grids: list[int], day: date) -> None:
        """A central's own plan; with grids, its trunk plan, then each
        grid's last-mile plan once the trunk is planned (its vans leave
        when the trunk has unloaded)."""
        self.consider(PLAN_STEP, central, day)
        if not grids:
            return
        self.consider(TRUNK_STEP, central, day)
        for grid in grids:
            if self.done(TRUNK_STEP, central, day):
                self.consider(PLAN_STEP, grid, day)
            elif not self.done(PLAN_STEP, grid, day):
                self.waiting.append(Waiting(PLAN_STEP, grid, day, "waiting for the trunk plan"))


async def _grids_by_central(session: AsyncSession) -> dict[int, list[int]]:
    rows = await session.execute(
        select(GridWarehouse.central_id, GridWarehouse.warehouse_id).order_by(
            GridWarehouse.warehouse_id
        )
    )
    grids: dict[int, list[int]] = {}
    for central, grid in rows:
        grids.setdefault(central, []).append(grid)
    return grids


async def due_steps(
    session: AsyncSession, now: datetime, times: Times
) -> tuple[list[Due], list[Waiting]]:
    """The steps to run now, in order (sorting before planning, earlier
    days first), and the steps that wait, with why. Once a central
    warehouse's day is sorted, its own plan, and with grid warehouses
    (fulfilment/network) its trunk plan and then each grid's last-mile
    plan, are due at the planning time."""
    since = now.astimezone(times.zone).date() - timedelta(days=times.catch_up_days)
    # A day with nothing bought has nothing to sort or plan.
    days = [d for d in await _days(session, since) if d.purchase_orders]
    grids = await _grids_by_central(session)
    keys = [
        step_key(step, w, d.delivery_date)
        for d in days
        for step, w in (
            (SORT_STEP, d.warehouse_id),
            (PLAN_STEP, d.warehouse_id),
            (TRUNK_STEP, d.warehouse_id),
            *((PLAN_STEP, g) for g in grids.get(d.warehouse_id, ())),
        )
    ]
    states = await _step_states(session, keys)
    plans = _Plans(now, times, await _planned_days(session, since), states, [], [])
    for day in days:
        where = (day.warehouse_id, day.delivery_date)
        sort_state = states.get(step_key(SORT_STEP, *where))
        if sort_state is not JobStatus.SUCCEEDED:
            reason = _sort_wait(day, now, times)
            if reason is not None:
                plans.waiting.append(Waiting(SORT_STEP, *where, reason))
                continue
            if sort_state in (None, JobStatus.QUEUED, JobStatus.FAILED):
                late = now - times.on(day.delivery_date, times.sort_latest) > LATE_AFTER
                plans.due.append(Due(SORT_STEP, *where, late=late))
            continue
        plans.consider_tiers(day.warehouse_id, grids.get(day.warehouse_id, []), day.delivery_date)
    return plans.due, plans.waiting
