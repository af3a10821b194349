"""The purchasing benchmark's steps, each timed in its own unit of work with
the statements it ran and the process's peak RSS after it: cutoff,
consolidation, the allocation of suppliers' shortages, sorting, and reading
the sorted day back."""

from __future__ import annotations

import argparse
import importlib
import random
import resource
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from bench_purchasing_seed import World

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    Sessions = async_sessionmaker[AsyncSession]

TOTE_VOLUME_ML = 40_000
SHORT_SHARE = 0.05  # of the products on the purchase orders


def peak_mb() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    detail: str
    statements: int = 0


@dataclass
class Run:
    steps: dict[str, Step] = field(default_factory=dict)
    shorted_products: dict[int, int] = field(default_factory=dict)  # product → units short
    purchase_orders: list[tuple[int, int]] = field(default_factory=list)  # (po, supplier)
    totals: dict[int, int] = field(default_factory=dict)  # warehouse_totals: product → units
    sort_units: int = 0


class SqlLog:
    """Counts statements (and optionally writes them with their durations)
    through the engine's cursor events: what to EXPLAIN when a step is slow."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self.count = 0
        self.step = ""
        self._started: list[float] = []

    def attach(self, sync_engine: Any) -> None:
        from sqlalchemy import event

        event.listen(sync_engine, "before_cursor_execute", self._before)
        event.listen(sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        self.count += 1
        if self.out is not None:
            shown = repr(params)
            if len(shown) > 2000:
                shown = shown[:2000] + f"… ({len(shown)} chars)"
            self.out.write(
                f"-- [{self.step}] {elapsed * 1000:.1f} ms\n{statement};\n-- params: {shown}\n\n"
            )
            self.out.flush()


@contextmanager
def timed(run: Run, log: SqlLog, name: str) -> Iterator[dict[str, Any]]:
    """Times the block; the block puts its summary in the dict's 'detail'."""
    info: dict[str, Any] = {"detail": ""}
    log.step = name
    before = log.count
    started = time.perf_counter()
    yield info
    seconds = time.perf_counter() - started
    run.steps[name] = Step(name, seconds, peak_mb(), str(info["detail"]), log.count - before)
    print(f"  {name:<16} {seconds:8.2f} s  peak {peak_mb():5.0f} MB  {info['detail']}", flush=True)


# What the steps run, imported before the first of them is timed: no step's
# time or peak RSS includes loading the modules of another.
STEP_MODULES = (
    "fulfilment.purchasing.consolidation",
    "fulfilment.purchasing.cutoff",
    "fulfilment.purchasing.models",
    "fulfilment.purchasing.receiving",
    "fulfilment.sorting.sorting",
    "kernel.clock",
)


@dataclass
class Shortages:
    """What the suppliers confirm short, chosen before the allocation is timed."""

    chosen: int  # purchase order lines confirmed short
    of_lines: int  # purchase order lines in all
    per_po: dict[int, dict[int, int]]  # po → product → units confirmed
    supplier_of: dict[int, int]  # po → supplier


async def run_steps(url: str, world: World, args: argparse.Namespace, log: SqlLog) -> Run:
    from sqlalchemy import select

    from kernel.db import create_engine, create_sessionmaker, unit_of_work

    for module in STEP_MODULES:
        importlib.import_module(module)
    engine = create_engine(url)
    log.attach(engine.sync_engine)
    sessions = create_sessionmaker(engine)
    run = Run()
    rng = random.Random(args.seed)
    try:
        # Warm the pool (connect, type introspection) outside the timings.
        async with unit_of_work(sessions) as session:
            await session.execute(select(1))
        await _cutoff(sessions, world, run, log)
        po_ids = await _consolidation(sessions, world, run, log)
        shortages = await _choose_shortages(sessions, run, po_ids, rng)
        await _allocation(sessions, run, log, shortages)
        await _sorting(sessions, world, run, log)
        await _reads(sessions, world, run, log)
    finally:
        await engine.dispose()
    return run


async def _cutoff(sessions: Sessions, world: World, run: Run, log: SqlLog) -> None:
    from fulfilment.purchasing.cutoff import run_cutoff
    from kernel.clock import utcnow
    from kernel.db import unit_of_work

    with timed(run, log, "cutoff") as info:
        async with unit_of_work(sessions) as session:
            cut = await run_cutoff(session, world.campaign_id, utcnow())
        info["detail"] = (
            f"{cut.expired_orders} orders expired, {cut.cancelled_items} items missed "
            f"their threshold, {cut.refunded_lines} lines refunded"
        )


async def _consolidation(
    sessions: Sessions, world: World, run: Run, log: SqlLog
) -> list[tuple[int, int, int]]:
    """The purchase orders made: (id, supplier, revision) each."""
    from fulfilment.purchasing.consolidation import consolidate
    from kernel.clock import utcnow
    from kernel.db import unit_of_work

    with timed(run, log, "consolidation") as info:
        async with unit_of_work(sessions) as session:
            pos = await consolidate(session, world.warehouse_id, world.delivery_date, utcnow())
            po_ids = [(po.id, po.supplier_id, po.revision) for po in pos]
        info["detail"] = f"{len(po_ids)} purchase orders"
    return po_ids


async def _choose_shortages(
    sessions: Sessions, run: Run, po_ids: list[tuple[int, int, int]], rng: random.Random
) -> Shortages:
    """What to confirm short is chosen outside the timing (a supplier decides
    it); the step is the confirmations and their allocation."""
    from sqlalchemy import select

    from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
    from kernel.db import unit_of_work

    async with unit_of_work(sessions) as session:
        po_lines = (
            await session.execute(
                select(
                    PurchaseOrderLine.purchase_order_id,
                    PurchaseOrderLine.product_id,
                    PurchaseOrderLine.ordered_units,
                )
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                .where(PurchaseOrderLine.revision == PurchaseOrder.revision)
                .order_by(PurchaseOrderLine.id)
            )
        ).all()
    supplier_of = {po: supplier for po, supplier, _ in po_ids}
    run.purchase_orders = sorted(supplier_of.items())
    chosen = rng.sample(po_lines, max(1, round(SHORT_SHARE * len(po_lines))))
    per_po: dict[int, dict[int, int]] = defaultdict(dict)
    for po_id, product_id, ordered in chosen:
        short = max(1, round(ordered * rng.uniform(0.05, 0.6)))
        per_po[po_id][product_id] = max(0, ordered - short)
        run.shorted_products[product_id] = ordered - per_po[po_id][product_id]
    return Shortages(len(chosen), len(po_lines), per_po, supplier_of)


async def _allocation(sessions: Sessions, run: Run, log: SqlLog, shortages: Shortages) -> None:
    from fulfilment.purchasing.receiving import confirm
    from kernel.clock import utcnow
    from kernel.db import unit_of_work

    per_po, supplier_of = shortages.per_po, shortages.supplier_of
    with timed(run, log, "allocation") as info:
        lines = units = 0
        for po_id in sorted(per_po):
            async with unit_of_work(sessions) as session:
                _, summary = await confirm(
                    session, po_id, supplier_of[po_id], per_po[po_id], utcnow()
                )
            lines += summary.lines
            units += summary.units
        info["detail"] = (
            f"{shortages.chosen} of {shortages.of_lines} products confirmed short on "
            f"{len(per_po)} POs: {lines} lines, {units} units shorted"
        )


async def _sorting(sessions: Sessions, world: World, run: Run, log: SqlLog) -> None:
    from fulfilment.sorting.sorting import sort_day
    from kernel.clock import utcnow
    from kernel.db import unit_of_work

    with timed(run, log, "sorting") as info:
        async with unit_of_work(sessions) as session:
            sorted_ = await sort_day(
                session,
                world.warehouse_id,
                world.delivery_date,
                tote_volume_ml=TOTE_VOLUME_ML,
                now=utcnow(),
            )
        run.sort_units = sorted_.units
        info["detail"] = (
            f"{sorted_.pickup_points} pickup points, {sorted_.units} units, {sorted_.totes} totes"
        )


async def _reads(sessions: Sessions, world: World, run: Run, log: SqlLog) -> None:
    """The sorted day read back: the warehouse's totals, one pick list."""
    from fulfilment.sorting.sorting import pick_list, warehouse_totals
    from kernel.db import unit_of_work

    with timed(run, log, "warehouse_totals") as info:
        async with unit_of_work(sessions) as session:
            totals = await warehouse_totals(session, world.warehouse_id, world.delivery_date)
        run.totals = {t.product_id: t.units for t in totals}
        info["detail"] = f"{len(totals)} products, {sum(run.totals.values())} units"

    with timed(run, log, "pick_list") as info:
        async with unit_of_work(sessions) as session:
            per_product, per_customer = await pick_list(
                session, world.warehouse_id, world.delivery_date, 1
            )
        info["detail"] = (
            f"pickup point 1: {len(per_product)} products, {len(per_customer)} customer rows"
        )
