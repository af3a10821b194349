"""Payouts: only from the settled balance, also under concurrent requests;
fees; rejection gives the money back by new entries; export and paid; a
negative balance from refunds after a payout carries forward."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta

import pytest

from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from leaders.commission.models import Payout, PayoutStatus
from leaders.commission.payouts import (
    approve_payout,
    batch_rows,
    export_batch,
    mark_batch_paid,
    reject_payout,
    request_payout,
)
from leaders.commission.settlement import latest_closed_period, period_end_at, settle
from tests.conftest import TestDB
from tests.support.commission import (
    Team,
    balances,
    chained,
    do_accrue,
    do_reverse,
    entries,
    line,
    team,
)


async def earn(db: TestDB, *commissions: tuple[int, int]) -> None:
    """Accrue each (leader, commission) at the default 10 % and settle them."""
    period = latest_closed_period(utcnow(), db.settings)
    picked = period_end_at(period, db.settings) - timedelta(days=1)
    await do_accrue(
        db,
        *(
            line(n, leader_id, fen * 10, picked_up_at=picked)
            for n, (leader_id, fen) in enumerate(commissions, start=1)
        ),
    )
    async with unit_of_work(db.sessions) as session:
        await settle(session, utcnow(), db.settings, period_end=period)


async def ask(
    db: TestDB, leader_id: int, amount: int, key: str | None = None, **settings: int
) -> Payout:
    config = db.settings.model_copy(update=settings)
    async with unit_of_work(db.sessions) as session:
        return await request_payout(
            session, leader_id, amount, key or uuid.uuid4().hex, utcnow(), config
        )


async def test_payout_takes_the_amount_and_fee_and_never_more_than_available(db: TestDB) -> None:
    t = await team(db, 1)
    [a] = t.leaders
    await do_accrue(db, line(9, a, 50_000))  # accrued, not settled: not available
    with pytest.raises(DomainError) as unsettled:
        await ask(db, a, 1_000)
    assert unsettled.value.code.value == "INSUFFICIENT_BALANCE"
    await earn(db, (a, 5_000))
    assert await balances(db, a) == (0, 10_000)  # both lines were old enough
    with pytest.raises(DomainError) as small:
        await ask(db, a, 999)
    assert small.value.code.value == "PAYOUT_BELOW_MINIMUM"
    with pytest.raises(DomainError) as too_much:
        await ask(db, a, 10_001)
    assert too_much.value.code.value == "INSUFFICIENT_BALANCE"
    assert too_much.value.remaining == 10_000
    payout = await ask(db, a, 4_000, key="k1", payout_fee_fen=200)
    assert (payout.amount_fen, payout.fee_fen, payout.transfer_fen) == (4_000, 200, 3_800)
    again = await ask(db, a, 4_000, key="k1", payout_fee_fen=200)
    assert again.id == payout.id
    with pytest.raises(DomainError) as conflict:
        await ask(db, a, 5_000, key="k1")
    assert conflict.value.code.value == "IDEMPOTENCY_CONFLICT"
    assert await balances(db, a) == (0, 6_000)
    rows = await entries(db, a)
    assert [(r["kind"], r["amount_fen"]) for r in rows[-2:]] == [("payout", -3_800), ("fee", -200)]
    assert chained(rows)


async def test_reject_returns_the_money_and_export_marks_paid(db: TestDB) -> None:
    t = await team(db, 2)
    a, b = t.leaders
    await earn(db, (a, 3_000), (b, 3_000))
    first = await ask(db, a, 1_000, payout_fee_fen=100)
    second = await ask(db, a, 2_000)
    third = await ask(db, b, 3_000)
    now = utcnow()
    async with unit_of_work(db.sessions) as session:
        await reject_payout(session, first.id, t.operator, "账户信息有误", now)
        await approve_payout(session, second.id, t.operator, now)
        await approve_payout(session, third.id, t.operator, now)
    assert await balances(db, a) == (0, 1_000)
    kinds = [(r["kind"], r["amount_fen"]) for r in await entries(db, a)]
    assert ("payout_return", 900) in kinds and ("fee_return", 100) in kinds
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as twice:
            await reject_payout(session, first.id, t.operator, "again", now)
    assert twice.value.code.value == "INVALID_STATUS"
    async with unit_of_work(db.sessions) as session:
        batch = await export_batch(session, t.operator, now)
        rows = await batch_rows(session, batch.id)
    assert (batch.payout_count, batch.transfer_fen) == (2, 5_000)
    assert [r.payout_id for r in rows] == [second.id, third.id]
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as exported:
            await reject_payout(session, second.id, t.operator, "too late", now)
    assert exported.value.code.value == "INVALID_STATUS"
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as empty:
            await export_batch(session, t.operator, now)
    assert empty.value.code.value == "NOTHING_TO_EXPORT"
    async with unit_of_work(db.sessions) as session:
        await mark_batch_paid(session, batch.id, t.operator, now)
    statuses = await db.scalar(
        "SELECT count(*) FROM commission_payouts WHERE status = 'paid' AND paid_at IS NOT NULL"
    )
    assert statuses == 2
    assert await balances(db, a) == (0, 1_000)


async def test_negative_balance_is_carried_forward(db: TestDB) -> None:
    t: Team = await team(db, 1)
    [a] = t.leaders
    period = latest_closed_period(utcnow(), db.settings)
    days = timedelta(days=db.settings.settlement_period_days)
    first, second, third = period - 2 * days, period - days, period

    async def run(end: date) -> None:
        async with unit_of_work(db.sessions) as session:
            await settle(session, utcnow(), db.settings, period_end=end)

    def during(end: date) -> datetime:
        return period_end_at(end, db.settings) - timedelta(hours=1)

    await do_accrue(db, line(1, a, 20_000, picked_up_at=during(first)))
    await run(first)
    await ask(db, a, 2_000)  # all of it paid out
    await do_reverse(db, 1, 7, 20_000, 20_000, now=during(second))
    await run(second)
    assert await balances(db, a) == (0, -2_000)
    await do_accrue(db, line(2, a, 5_000, picked_up_at=during(third)))
    await run(third)
    rows = await db.scalar(
        "SELECT string_agg(opening_fen || ':' || total_fen || ':' || closing_fen, ',') "
        "FROM (SELECT * FROM commission_statements ORDER BY id) s"
        if db.kind == "postgres"
        else "SELECT group_concat(opening_fen || ':' || total_fen || ':' || closing_fen, ',') "
        "FROM (SELECT * FROM commission_statements ORDER BY id) s"
    )
    assert rows == "0:2000:2000,0:-2000:-2000,-2000:500:-1500"
    with pytest.raises(DomainError):
        await ask(db, a, 1_000)
    assert chained(await entries(db, a))


@pytest.mark.postgres_only
async def test_concurrent_payouts_never_exceed_the_balance(pg: TestDB) -> None:
    t = await team(pg, 1)
    [a] = t.leaders
    await earn(pg, (a, 10_000))  # 10,000 available

    async def one(i: int) -> str:
        try:
            await ask(pg, a, 3_000, key=f"req-{i}")
        except DomainError as exc:
            return str(exc.code.value)
        return "ok"

    outcomes = await asyncio.gather(*(one(i) for i in range(8)))
    assert outcomes.count("ok") == 3
    assert outcomes.count("INSUFFICIENT_BALANCE") == 5
    assert await balances(pg, a) == (0, 1_000)
    paid = await pg.scalar(
        "SELECT -sum(amount_fen) FROM commission_entries WHERE kind IN ('payout', 'fee')"
    )
    assert paid == 9_000
    assert chained(await entries(pg, a))
    assert (
        await pg.scalar(
            "SELECT count(*) FROM commission_payouts WHERE status = :s",
            s=PayoutStatus.REQUESTED.value,
        )
        == 3
    )
