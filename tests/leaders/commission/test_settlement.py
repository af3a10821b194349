"""Settlement: statements that are the exact sum of their lines, each line an
order line's entry; one settlement per period; young pickups wait for their
after-sale window; a negative balance is carried forward."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from leaders.commission.settlement import closes_at, latest_closed_period, period_end_at, settle
from tests.conftest import TestDB
from tests.support.commission import (
    balances,
    chained,
    do_accrue,
    do_reverse,
    entries,
    line,
    settled_once,
    statement_lines,
    team,
)


async def run_settlement(db: TestDB, period_end: date | None = None) -> int:
    async with unit_of_work(db.sessions) as session:
        done = await settle(session, utcnow(), db.settings, period_end=period_end)
        return done.id


async def statements(db: TestDB, leader_id: int) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, opening_fen, accrued_fen, reversed_fen, total_fen, closing_fen, "
                "line_count FROM commission_statements WHERE leader_id = :l ORDER BY id"
            ),
            {"l": leader_id},
        )
        found = [dict(r._mapping) for r in rows]
    for statement in found:
        lines = await statement_lines(db, statement["id"])
        statement["lines"] = sum(e.amount_fen for e in lines)
        statement["order_lines"] = sorted(e.order_line_id or 0 for e in lines)
    assert await settled_once(db)
    return found


async def test_statement_is_the_sum_of_its_lines_and_settles_once(db: TestDB) -> None:
    t = await team(db, 2)
    a, b = t.leaders
    old = utcnow() - timedelta(days=30)
    young = utcnow() - timedelta(hours=1)
    await do_accrue(
        db,
        line(1, a, 1005, picked_up_at=old),
        line(2, a, 2015, picked_up_at=old),
        line(3, b, 999, picked_up_at=old),
        line(4, a, 5000, picked_up_at=young),  # inside its after-sale window
    )
    # A refund inside the line's window, and one long after it.
    await do_reverse(db, 1, 10, 505, 1005, now=old + timedelta(hours=1))
    await do_reverse(db, 2, 20, 1000, 2015)
    first = await run_settlement(db)
    [statement] = await statements(db, a)
    # 100 (100.5 half-even) + 202 (201.5), less 50 (505/1005 of 100, 50.2)
    assert statement["accrued_fen"] == 100 + 202
    assert statement["reversed_fen"] == -50
    assert statement["total_fen"] == statement["lines"] == 252
    assert statement["line_count"] == 3
    assert statement["opening_fen"] == 0 and statement["closing_fen"] == 252
    # Pending: line 4's 500, less the late refund's 100 (1000/2015 of 202).
    assert await balances(db, a) == (400, 252)
    assert chained(await entries(db, a))
    assert statement["order_lines"] == [1, 1, 2]  # each line leads to its order line

    # The same period again: the same settlement, nothing written.
    before = await db.scalar("SELECT count(*) FROM commission_entries")
    assert await run_settlement(db) == first
    assert await db.scalar("SELECT count(*) FROM commission_entries") == before
    assert len(await statements(db, a)) == 1


async def test_refund_after_settlement_is_taken_from_the_next_statement(db: TestDB) -> None:
    t = await team(db, 1)
    [a] = t.leaders
    period = latest_closed_period(utcnow(), db.settings)
    earlier = period - timedelta(days=db.settings.settlement_period_days)
    picked = period_end_at(earlier, db.settings) - timedelta(hours=1)
    await do_accrue(db, line(1, a, 10_000, picked_up_at=picked))
    await run_settlement(db, earlier)
    assert await balances(db, a) == (0, 1000)
    # Refunded in full after that settlement, during the next period.
    refunded = period_end_at(period, db.settings) - timedelta(hours=1)
    await do_reverse(db, 1, 7, 10_000, 10_000, now=refunded)
    await run_settlement(db, period)
    assert await balances(db, a) == (0, 0)
    rows = await statements(db, a)
    assert [(r["opening_fen"], r["total_fen"], r["closing_fen"]) for r in rows] == [
        (0, 1000, 1000),
        (1000, -1000, 0),
    ]
    assert chained(await entries(db, a))


async def test_a_period_is_settled_only_after_its_window(db: TestDB) -> None:
    now = utcnow()
    period = latest_closed_period(now, db.settings)
    assert closes_at(period, db.settings) <= now
    later = period + timedelta(days=db.settings.settlement_period_days)
    assert closes_at(later, db.settings) > now
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as refused:
            await settle(session, now, db.settings, period_end=later)
    assert refused.value.code.value == "PERIOD_NOT_CLOSED"
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as off_grid:
            await settle(session, now, db.settings, period_end=period - timedelta(days=1))
    assert off_grid.value.code.value == "INVALID"


async def test_a_settlement_that_dies_before_commit_leaves_nothing(db: TestDB) -> None:
    t = await team(db, 2)
    await do_accrue(db, line(1, t.leaders[0], 10_000), line(2, t.leaders[1], 5_000))
    before = (
        await db.scalar("SELECT count(*) FROM commission_entries"),
        await balances(db, t.leaders[0]),
    )
    with pytest.raises(RuntimeError):
        async with unit_of_work(db.sessions) as session:
            await settle(session, utcnow(), db.settings)
            raise RuntimeError("the worker died")
    assert await db.scalar("SELECT count(*) FROM commission_settlements") == 0
    assert await db.scalar("SELECT count(*) FROM commission_statements") == 0
    assert (
        await db.scalar("SELECT count(*) FROM commission_entries"),
        await balances(db, t.leaders[0]),
    ) == before
    await run_settlement(db)  # and the period can be settled afterwards
    assert await balances(db, t.leaders[0]) == (0, 1000)


@pytest.mark.postgres_only
async def test_pickups_during_a_settlement_are_settled_once(pg: TestDB) -> None:
    t = await team(pg, 3)
    period = latest_closed_period(utcnow(), pg.settings)
    picked = period_end_at(period, pg.settings) - timedelta(hours=3)
    await do_accrue(
        pg, *(line(n, t.leaders[n % 3], 1_000 + n, picked_up_at=picked) for n in range(30))
    )

    async def pickups(start: int) -> None:
        for n in range(start, start + 10):
            await do_accrue(pg, line(n, t.leaders[n % 3], 2_000 + n, picked_up_at=picked))

    await asyncio.gather(run_settlement(pg, period), pickups(100), pickups(200))
    assert await settled_once(pg)
    for leader in t.leaders:
        assert chained(await entries(pg, leader))
    # The 30 lines booked before it are settled; the 20 booked meanwhile are
    # settled now or wait, in full, for the next period.
    assert await pg.scalar("SELECT sum(line_count) FROM commission_statements") >= 30
    assert await pg.scalar("SELECT count(*) FROM commission_entries WHERE kind = 'accrual'") == 50
    assert sum([sum(await balances(pg, leader)) for leader in t.leaders]) == await pg.scalar(
        "SELECT sum(amount_fen) FROM commission_entries WHERE kind = 'accrual'"
    )
