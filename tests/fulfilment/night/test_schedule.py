"""The night runs itself: after the cutoff, sorting waits for receiving (or
its latest time), a draft route plan follows at the planning time, each step
once per warehouse and date however many workers tick, and steps missed in
an outage are caught up in order."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from fulfilment.night import jobs as night_jobs
from fulfilment.night.steps import PLAN_STEP, SORT_STEP, TRUNK_STEP, due_steps, step_key
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.purchasing.receiving import close_receiving, record_receipt
from fulfilment.routing.fleet import create_vehicle_type
from fulfilment.routing.models import PlanKind, RoutePlan, RoutePlanStatus
from fulfilment.routing.plans import request_plan
from kernel.accounts import Role
from kernel.clock import machine_now, utcnow
from kernel.db import unit_of_work
from kernel.jobs import runner
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import Shop, approved_pickup_point, open_shop
from tests.support.network import grid_of
from tests.support.route_plans import van


async def _night(db: TestDB) -> Shop:
    """A warehouse's day cut off and consolidated, two points with paid
    orders, a van to plan with; receiving still open."""
    shop = await open_shop(db)
    second, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    for point in (shop.pickup_point_id, second):
        customer, _ = await db.user(Role.CUSTOMER, f"居民-{uuid.uuid4().hex[:4]}")
        await order(
            db, dataclasses.replace(shop, pickup_point_id=point), customer, {0: 3}, pay=True
        )
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        await create_vehicle_type(session, shop.warehouse_id, van(count=1))
    return shop


@pytest.fixture
def settings_of(db: TestDB, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings = db.settings.model_copy(update={"routing_time_limit_s": 1})
    # The settings the worker running the ticks has (run_job's default).
    monkeypatch.setattr(runner, "get_settings", lambda: settings)
    return settings


def _local(shop: Shop, at: time, zone: Any, days: int = 0) -> datetime:
    return datetime.combine(shop.delivery_date + timedelta(days=days), at, zone)


async def _tick(db: TestDB) -> dict[str, Any]:
    """One run of the schedule's periodic job, as a worker runs it."""
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, night_jobs.SCHEDULE, {"period": uuid.uuid4().hex})
        job_id = job.id
    status = await run_job(db.sessions, job_id)
    if status is not JobStatus.SUCCEEDED:
        async with db.sessions() as session:
            failed = await session.get(Job, job_id)
            raise AssertionError(failed.error if failed else status)
    async with unit_of_work(db.sessions) as session:
        done = await session.get(Job, job_id)
        assert done is not None and done.result is not None
        return dict(done.result)


async def _steps(db: TestDB, shop: Shop) -> dict[str, tuple[JobStatus, int]]:
    keys = [step_key(s, shop.warehouse_id, shop.delivery_date) for s in (SORT_STEP, PLAN_STEP)]
    async with unit_of_work(db.sessions) as session:
        rows = await session.execute(
            select(Job.key, Job.status, Job.attempts).where(Job.key.in_(keys))
        )
        return {str(k).split(":")[0]: (s, a) for k, s, a in rows}


async def _close_receiving(db: TestDB, shop: Shop) -> None:
    """The supplier delivered a full case (6 were ordered); receiving closed."""
    async with unit_of_work(db.sessions) as session:
        po_id = await session.scalar(
            select(PurchaseOrder.id).where(PurchaseOrder.warehouse_id == shop.warehouse_id)
        )
        assert po_id is not None
        await record_receipt(
            session,
            po_id,
            int(shop.extra["product_id"]),
            received=12,
            accepted=12,
            delivery_ref="D1",
            by=shop.operator,
            now=utcnow(),
        )
        await close_receiving(session, po_id, utcnow())


async def _plans(db: TestDB) -> list[tuple[RoutePlanStatus, int | None]]:
    async with unit_of_work(db.sessions) as session:
        rows = await session.execute(select(RoutePlan.status, RoutePlan.created_by_id))
        return [(s, c) for s, c in rows]


async def test_sorting_waits_for_receiving_then_planning_for_its_time(db, settings_of):
    shop = await _night(db)
    times = night_jobs.times_of(settings_of)
    first = await _tick(db)
    assert first["ran"] == []
    assert [w["step"] for w in first["waiting"]] == [SORT_STEP]
    assert "receiving open on 1 of 1" in first["waiting"][0]["reason"]

    await _close_receiving(db, shop)
    second = await _tick(db)
    assert [r["key"] for r in second["ran"]] == [
        step_key(SORT_STEP, shop.warehouse_id, shop.delivery_date)
    ]
    loads = await db.scalar(
        "SELECT count(*) FROM pickup_point_loads WHERE warehouse_id = :w", w=shop.warehouse_id
    )
    assert loads == 2
    assert [w["reason"] for w in second["waiting"]] == ["planning starts at 05:00"]
    assert await _plans(db) == []

    with time_machine.travel(_local(shop, time(5, 1), times.zone), tick=True):
        third = await _tick(db)
    assert [r["key"].split(":")[0] for r in third["ran"]] == [PLAN_STEP]
    # A draft for the dispatcher, made by the schedule, not published.
    assert await _plans(db) == [(RoutePlanStatus.DRAFT, None)]
    assert await _steps(db, shop) == {
        SORT_STEP: (JobStatus.SUCCEEDED, 1),
        PLAN_STEP: (JobStatus.SUCCEEDED, 1),
    }
    with time_machine.travel(_local(shop, time(5, 30), times.zone), tick=True):
        assert (await _tick(db))["ran"] == []


async def test_after_an_outage_the_missed_steps_run_once_in_order(db, settings_of):
    shop = await _night(db)
    times = night_jobs.times_of(settings_of)
    # Workers were down all night; receiving was never closed. At noon the
    # first tick sorts (its latest time has passed) and then plans.
    with time_machine.travel(_local(shop, time(12), times.zone), tick=True):
        tick = await _tick(db)
    assert [(r["key"].split(":")[0], r["caught_up"]) for r in tick["ran"]] == [
        (SORT_STEP, True),
        (PLAN_STEP, True),
    ]
    assert tick["waiting"] == []
    assert len(await _plans(db)) == 1


@asynccontextmanager
async def _killed_mid_plan(db: TestDB, shop: Shop, settings: Any) -> AsyncIterator[Job]:
    """The plan step's first attempt as a worker killed mid-plan leaves it:
    its plan requested (PLANNING) and its job, for the block to set as the
    sweep left it (failed) or had not yet found it (running)."""
    payload = {
        "warehouse_id": shop.warehouse_id,
        "delivery_date": shop.delivery_date.isoformat(),
        "time_limit_s": settings.routing_time_limit_s,
    }
    key = step_key(PLAN_STEP, shop.warehouse_id, shop.delivery_date)
    async with unit_of_work(db.sessions) as session:
        zone = night_jobs.times_of(settings).zone
        await request_plan(
            session, shop.warehouse_id, shop.delivery_date, time_limit_s=1, zone=zone, by=None
        )
        job, _ = await enqueue(session, PLAN_STEP, payload, key=key)
        job.attempts = 1
        yield job


async def test_a_plan_left_planning_by_a_dead_run_is_planned_by_the_next_attempt(db, settings_of):
    shop = await _night(db)
    times = night_jobs.times_of(settings_of)
    await _close_receiving(db, shop)
    await _tick(db)  # sorted
    key = step_key(PLAN_STEP, shop.warehouse_id, shop.delivery_date)
    # What a worker killed mid-plan leaves: its plan requested (PLANNING)
    # and the step's job failed as stale by the sweep.
    async with _killed_mid_plan(db, shop, settings_of) as job:
        job.status, job.error = JobStatus.FAILED, "stale: worker died"
    with time_machine.travel(_local(shop, time(5, 1), times.zone), tick=True):
        tick = await _tick(db)
    assert [r["key"] for r in tick["ran"]] == [key]
    assert await _plans(db) == [(RoutePlanStatus.DRAFT, None)]  # the same plan, planned
    assert (await _steps(db, shop))[PLAN_STEP] == (JobStatus.SUCCEEDED, 2)


async def test_a_step_whose_worker_died_is_started_again_by_the_sweep_not_the_next_minute(
    db, settings_of
):
    shop = await _night(db)
    times = night_jobs.times_of(settings_of)
    await _close_receiving(db, shop)
    await _tick(db)  # sorted
    with time_machine.travel(_local(shop, time(5, 1), times.zone), tick=True):
        # The plan step's worker was killed mid-plan: its plan PLANNING, the
        # step RUNNING with its beats stopped. The schedule's own run came
        # back first, found the step still running and left it.
        async with _killed_mid_plan(db, shop, settings_of) as job:
            job.status, job.heartbeat_at = JobStatus.RUNNING, machine_now() - timedelta(minutes=5)
        assert await runner.fail_stale_jobs(db.sessions, 60) == 1
        # The platform clock has not reached the schedule's next minute, yet
        # a run of it is queued, and it starts the step's next attempt.
        queued = await runner.queued_job_ids(db.sessions)
        async with db.sessions() as session:
            kinds = [(await session.get(Job, i)).kind for i in queued]
        assert kinds == [night_jobs.SCHEDULE]
        assert await run_job(db.sessions, queued[0]) is JobStatus.SUCCEEDED
        # A second sweep finds nothing more to do and starts nothing twice.
        assert await runner.fail_stale_jobs(db.sessions, 60) == 0
        assert await runner.queued_job_ids(db.sessions) == []
    assert (await _steps(db, shop))[PLAN_STEP] == (JobStatus.SUCCEEDED, 2)


@pytest.mark.postgres_only
async def test_two_workers_ticking_at_once_run_each_step_once(db, settings_of):
    if db.url.startswith("sqlite"):
        pytest.skip("two workers share a PostgreSQL database")
    shop = await _night(db)
    times = night_jobs.times_of(settings_of)
    with time_machine.travel(_local(shop, time(5, 10), times.zone), tick=True):
        await _close_receiving(db, shop)
        first, second = await asyncio.gather(_tick(db), _tick(db))
    outcomes = sorted(r["outcome"] for r in first["ran"] + second["ran"])
    assert outcomes.count("succeeded") == 2  # the sort and the plan, once each
    assert await _steps(db, shop) == {
        SORT_STEP: (JobStatus.SUCCEEDED, 1),
        PLAN_STEP: (JobStatus.SUCCEEDED, 1),
    }
    assert len(await _plans(db)) == 1


async def test_due_steps_is_a_function_of_the_state_and_the_clock(db, settings_of):
    shop = await _night(db)
    times = night_jobs.times_of(settings_of)
    async with unit_of_work(db.sessions) as session:
        before, waiting = await due_steps(session, _local(shop, time(5, 59), times.zone), times)
        at_latest, _ = await due_steps(session, _local(shop, time(6), times.zone), times)
    assert before == [] and [w.step for w in waiting] == [SORT_STEP]
    assert [(d.step, d.late) for d in at_latest] == [(SORT_STEP, False)]


async def test_a_central_with_a_grid_gets_a_trunk_draft_then_the_grids(db, settings_of):
    shop = await _night(db)
    grid = await grid_of(db, shop.warehouse_id, shop.operator, points=[shop.pickup_point_id])
    async with unit_of_work(db.sessions) as session:
        await create_vehicle_type(session, grid, van("金杯", count=1))
        truck = van("干线车", count=1, shift_start=time(0), trunk=True)
        await create_vehicle_type(session, shop.warehouse_id, truck)
    await _close_receiving(db, shop)
    times = night_jobs.times_of(settings_of)
    sorted_ = await _tick(db)
    assert [(w["step"], w["warehouse_id"]) for w in sorted_["waiting"]] == [
        (PLAN_STEP, shop.warehouse_id),
        (TRUNK_STEP, shop.warehouse_id),
        (PLAN_STEP, grid),
    ]
    assert sorted_["waiting"][-1]["reason"] == "waiting for the trunk plan"

    with time_machine.travel(_local(shop, time(5, 1), times.zone), tick=True):
        planned = await _tick(db)
    assert [tuple(r["key"].split(":")[:2]) for r in planned["ran"]] == [
        (PLAN_STEP, str(shop.warehouse_id)),
        (TRUNK_STEP, str(shop.warehouse_id)),
        (PLAN_STEP, str(grid)),
    ]
    # Three drafts by the schedule: the central's for its direct point, its
    # trunk to the grid, the grid's for the point it serves, whose van
    # leaves once the trunk has unloaded.
    async with db.sessions() as session:
        rows = await session.execute(
            select(
                RoutePlan.warehouse_id,
                RoutePlan.kind,
                RoutePlan.status,
                RoutePlan.stops,
                RoutePlan.trunk_ready_at.is_not(None),
            ).order_by(RoutePlan.id)
        )
        assert [tuple(r) for r in rows] == [
            (shop.warehouse_id, PlanKind.DELIVERY, RoutePlanStatus.DRAFT, 1, False),
            (shop.warehouse_id, PlanKind.TRUNK, RoutePlanStatus.DRAFT, 1, False),
            (grid, PlanKind.DELIVERY, RoutePlanStatus.DRAFT, 1, True),
        ]
