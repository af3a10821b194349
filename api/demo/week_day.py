"""One calendar day of the week demo, as the people in it live it. The
platform clock moves to each moment; the schedule starts every step of
the night by itself (cutoff and consolidation, shortage allocation and
sorting, the draft route plan) and the demo only does what people do:
suppliers confirm, the warehouse receives, the dispatcher publishes the
draft, drivers deliver, leaders sign, residents order, pay and collect,
and the operator copies tomorrow's campaign."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from time import perf_counter

from api.demo.context import Day
from api.demo.handout import run_handout
from api.demo.http import ApiHttp
from api.demo.intake import Intake, cancel_some, graphql_as, place_orders
from api.demo.night import supply
from api.demo.payments import DemoPay, pay_orders
from api.demo.region import Region
from api.demo.routes import publish_and_assign
from api.demo.timeline import Timeline
from api.demo.week_clock import WeekClock, cut_off, succeeded, until
from api.demo.week_workers import Workers
from api.graphql.ids import decode, encode
from fulfilment.campaigns import campaigns
from fulfilment.night.steps import PLAN_STEP, SORT_STEP, step_key
from fulfilment.routing.models import RoutePlan
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.service import job_by_key

COPY = """mutation($input: CampaignCopyInput!) { campaignCopy(input: $input) {
  campaign { id } userErrors { code message } } }"""
# Of an evening's orders, the share for the day after tomorrow (presale in
# the campaign that opened at noon); the rest is for tomorrow.
PRESALE_SHARE = 0.15
# How long a step may take before the demo says the schedule stalled: a
# killed worker's step waits to be found stale and is started again.
STEP_PATIENCE_S = 600.0


@dataclass
class Week:
    """What every day of the week works with."""

    base: Day  # sessions, settings, the region, the seeded random, the steps
    clock: WeekClock
    http: ApiHttp
    pay: DemoPay
    workers: Workers
    orders_per_day: int
    campaigns: dict[date, int]  # delivery date -> campaign id
    kill_on: date | None  # the night a worker is killed (PostgreSQL)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A local time of ``day`` (the platform's zone)."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.base.timeline.zone)

    def day(self, delivery: date) -> Day:
        """The context of the campaign delivering on ``delivery``."""
        timeline = Timeline(self.base.timeline.started, self.base.timeline.zone, delivery)
        region = replace(self.base.region, campaign_id=self.campaigns[delivery])
        return replace(self.base, timeline=timeline, region=region)


async def selling(week: Week, delivery: date) -> Region:
    """The region with the items of the campaign delivering on ``delivery``."""
    campaign_id = week.campaigns[delivery]
    async with week.base.sessions() as session:
        stored = {
            i.product_id: i.id for i in await campaigns.campaign_items(session, [campaign_id])
        }
    items = [
        replace(
            item, id=stored[item.product_id], gid=encode("CampaignItem", stored[item.product_id])
        )
        for item in week.base.region.items
    ]
    return replace(week.base.region, campaign_id=campaign_id, items=items)


async def copy_campaign(week: Week, today: date, source: date, target: date) -> None:
    """At 06:00 ``today`` the operator makes ``target``'s campaign from
    ``source``'s."""
    week.clock.move_to(week.local(today, 6))
    with week.base.steps.step(f"Campaign for {target:%a %m-%d} copied (campaignCopy)") as bar:
        variables = {
            "input": {
                "campaignId": encode("Campaign", week.campaigns[source]),
                "deliveryDate": target.isoformat(),
            }
        }
        answer = (
            await graphql_as(week.http, week.base.region.tokens["operator"], COPY, variables)
        )["campaignCopy"]
        if answer["userErrors"]:
            raise RuntimeError(f"campaignCopy: {answer['userErrors']}")
        week.campaigns[target] = decode(answer["campaign"]["id"], "Campaign", ["campaignId"])
        bar.note = "items, prices and limits kept, nothing sold"


async def evening(week: Week, today: date) -> None:
    """21:00: residents order for tomorrow (and some for the day after),
    pay for what they ordered in one payment, and a few cancel."""
    week.clock.move_to(week.local(today, 21))
    later = today + timedelta(days=2)
    shares = {today + timedelta(days=1): 1.0 - PRESALE_SHARE, later: PRESALE_SHARE}
    if later not in week.campaigns:
        shares = {today + timedelta(days=1): 1.0}
    rng, steps, settings = week.base.rng, week.base.steps, week.base.settings
    sales = []
    for delivery, share in shares.items():
        sales.append((await selling(week, delivery), max(1, int(week.orders_per_day * share))))
    intakes = await place_orders(week.http, settings, sales, rng, steps)
    placed = [(region, intake) for (region, _), intake in zip(sales, intakes, strict=True)]
    customers = sales[0][0]  # the region's, whichever campaign
    # A resident pays the evening's basket at once, tomorrow's orders and the
    # weekend's presale together (ordersPay).
    basket = Intake(placed=[order for _, intake in placed for order in intake.placed])
    paid = {p.number for p in await pay_orders(week.http, week.pay, customers, basket, rng, steps)}
    for region, intake in placed:
        theirs = [p for p in intake.placed if p.number in paid]
        intake.paid = len(theirs)
        await cancel_some(week.http, region, intake, theirs, rng, steps)


async def kill_the_planner(week: Week, key: str) -> None:
    """While the night's plan is being searched, kill the worker running it:
    the one its job names as its claimant (``jobs.worker``)."""
    sessions = week.base.sessions
    with week.base.steps.step("The planning worker killed (SIGKILL) and replaced") as bar:

        async def started() -> Job | None:
            async with sessions() as session:
                step = await job_by_key(session, key)
            return step if step is not None and step.status is not JobStatus.QUEUED else None

        step = await until(started, STEP_PATIENCE_S, f"{key} did not start")
        running = step.status is JobStatus.RUNNING
        holder = week.workers.holding(step.worker) if running else None
        if holder is None:
            bar.note = "the plan was done before a worker could be caught at it"
            return
        week.workers.kill(holder, dict(os.environ))
        bar.note = f"worker {holder + 1} killed mid-plan; the step waits to be found stale"


async def night_and_day(week: Week, delivery: date) -> float:
    """The night before ``delivery`` and the delivery day; its wall time."""
    started = perf_counter()
    day = week.day(delivery)
    sessions, steps, at = day.sessions, day.steps, day.timeline.at
    warehouse = day.region.warehouse_id
    week.clock.move_to(at(0, 1))
    with steps.step(f"{delivery:%a %m-%d} cutoff and consolidation (schedule)"):
        await cut_off(sessions, day.region.campaign_id, STEP_PATIENCE_S)
    week.clock.move_to(at(0, 30))
    await supply(day, Counter())
    week.clock.move_to(at(4, 1))
    title = f"{delivery:%a %m-%d} shortage allocation and sorting (schedule)"
    with steps.step(title, total=100) as bar:
        key = step_key(SORT_STEP, warehouse, delivery)
        sorted_ = await succeeded(sessions, key, STEP_PATIENCE_S, bar)
        bar.note = f"attempts: {sorted_.attempts}"
    week.clock.move_to(at(5, 0))
    key = step_key(PLAN_STEP, warehouse, delivery)
    if delivery == week.kill_on and week.workers.processes:
        await kill_the_planner(week, key)
    with steps.step(f"{delivery:%a %m-%d} draft route plan (schedule)", total=100) as bar:
        planned = await succeeded(sessions, key, STEP_PATIENCE_S, bar)
        bar.note = f"attempts: {planned.attempts}"
    async with sessions() as session:
        plan = await session.get(RoutePlan, int((planned.result or {})["plan_id"]))
    assert plan is not None
    week.clock.move_to(at(5, 30))
    plan = await publish_and_assign(day, plan)
    week.clock.move_to(at(7))
    await run_handout(day, plan)
    return perf_counter() - started
