"""Commission booked on pickup and reversed on refund: rates, levels, the
recruiter's one-level share, rounding and idempotency."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from kernel.clock import business_date, utcnow
from kernel.db import unit_of_work
from leaders.commission.accrual import commission_fen
from leaders.commission.levels import compute_levels, previous_month
from leaders.commission.models import CategoryRate, CommissionAccount, LeaderLevel, ProductRate
from leaders.commission.rates import set_level
from tests.conftest import TestDB
from tests.support.commission import (
    balances,
    chained,
    do_accrue,
    do_reverse,
    entries,
    line,
    set_recruiter,
    team,
)


def test_rounding_is_half_even_per_line() -> None:
    assert commission_fen(1005, 1000) == 100  # 100.5 -> 100 (even)
    assert commission_fen(1015, 1000) == 102  # 101.5 -> 102 (even)
    assert commission_fen(1016, 1000) == 102  # 101.6 -> 102
    assert commission_fen(1, 5000) == 0  # 0.5 -> 0
    assert commission_fen(3, 5000) == 2  # 1.5 -> 2


async def test_product_rate_overrides_category_and_level_adds(db: TestDB) -> None:
    t = await team(db, 1)
    leader = t.leaders[0]
    async with unit_of_work(db.sessions) as session:
        session.add(CategoryRate(category="水果", rate_bps=800))
        session.add(ProductRate(product_id=7, rate_bps=1200))
        level = LeaderLevel(code="gold", name="金牌", min_monthly_sales_fen=0, bonus_bps=150)
        session.add(level)
        await session.flush()
        session.add(CommissionAccount(leader_id=leader, level_id=level.id))
    added = await do_accrue(
        db,
        line(1, leader, 10_000, product_id=3),  # category 8 % + 1.5 %
        line(2, leader, 10_000, product_id=7),  # product 12 % + 1.5 %
        line(3, leader, 10_000, product_id=3, category="日用"),  # default 10 % + 1.5 %
    )
    assert added == 3
    rows = await entries(db, leader)
    assert [r["amount_fen"] for r in rows] == [950, 1350, 1150]
    assert chained(rows)
    assert await balances(db, leader) == (3450, 0)


async def test_accruing_a_line_twice_books_it_once(db: TestDB) -> None:
    t = await team(db, 1)
    leader = t.leaders[0]
    assert await do_accrue(db, line(1, leader, 990), line(1, leader, 990)) == 1
    assert await do_accrue(db, line(1, leader, 990), line(2, leader, 500)) == 1
    rows = await entries(db, leader)
    assert [(r["order_line_id"], r["amount_fen"]) for r in rows] == [(1, 99), (2, 50)]


async def test_partial_refunds_reverse_exactly_what_was_accrued(db: TestDB) -> None:
    t = await team(db, 1)
    leader = t.leaders[0]
    await do_accrue(db, line(1, leader, 999))  # 99.9 -> 100
    # Three refunds of 333: each share alone would round to 33 (99 in all).
    assert await do_reverse(db, 1, 11, 333, 999) == 33
    assert await do_reverse(db, 1, 12, 333, 666) == 34
    assert await do_reverse(db, 1, 12, 333, 666) == 0  # the same refund again
    assert await do_reverse(db, 1, 13, 333, 333) == 33
    rows = await entries(db, leader)
    assert sum(r["amount_fen"] for r in rows) == 0
    assert chained(rows)
    assert await balances(db, leader) == (0, 0)


async def test_refund_of_a_line_never_accrued_is_a_no_op(db: TestDB) -> None:
    t = await team(db, 1)
    assert await do_reverse(db, 42, 1, 100, 100) == 0
    assert await entries(db, t.leaders[0]) == []


async def test_recruiter_earns_a_share_one_level_only(db: TestDB) -> None:
    t = await team(db, 3)
    a, b, c = t.leaders
    await set_recruiter(db, b, a)  # A recruited B
    await set_recruiter(db, c, b)  # B recruited C
    await do_accrue(db, line(1, c, 10_000, picked_up_at=utcnow()))
    # C earns 10 %; B earns 1 % of C's net sales; A earns nothing from C.
    assert [r["amount_fen"] for r in await entries(db, c)] == [1000]
    b_rows = await entries(db, b)
    assert [(r["kind"], r["amount_fen"], r["recruit_id"]) for r in b_rows] == [
        ("recruit_accrual", 100, c)
    ]
    assert await entries(db, a) == []
    # A refund of half the line takes back half of both.
    assert await do_reverse(db, 1, 5, 5_000, 10_000) == 500
    assert [r["amount_fen"] for r in await entries(db, b)] == [100, -50]
    assert await entries(db, a) == []


async def test_recruiting_share_ends_after_its_days(db: TestDB) -> None:
    t = await team(db, 2)
    a, b = t.leaders
    days = timedelta(days=db.settings.recruit_share_days)
    await set_recruiter(db, b, a, approved_at=utcnow() - days - timedelta(hours=1))
    await do_accrue(db, line(1, b, 10_000, picked_up_at=utcnow() - timedelta(hours=2)))
    await do_accrue(db, line(2, b, 10_000, picked_up_at=utcnow()))
    assert [r["order_line_id"] for r in await entries(db, a)] == [1]


async def test_levels_from_last_months_net_sales_add_to_the_rate(db: TestDB) -> None:
    t = await team(db, 3)
    a, b, c = t.leaders
    now = utcnow()
    month = previous_month(business_date(now, db.settings.zone))
    in_month = datetime.combine(month + timedelta(days=9), time(12), db.settings.zone)
    async with unit_of_work(db.sessions) as session:
        await set_level(
            session, code="silver", name="银牌", min_monthly_sales_fen=5_000, bonus_bps=100, now=now
        )
        await set_level(
            session, code="gold", name="金牌", min_monthly_sales_fen=10_000, bonus_bps=200, now=now
        )
    await do_accrue(
        db,
        line(1, a, 12_000, picked_up_at=in_month),
        line(2, b, 6_000, picked_up_at=in_month),
        line(3, c, 100, picked_up_at=in_month - timedelta(days=40)),  # the month before
    )
    await do_reverse(db, 1, 10, 2_500, 12_000, now=in_month)  # a: 9,500 net
    await do_reverse(db, 2, 11, 500, 6_000, now=now)  # after the month: not counted
    async with unit_of_work(db.sessions) as session:
        assert await compute_levels(session, month, db.settings, now) == 3
    levels = {
        leader: await db.scalar(
            "SELECT l.code FROM commission_accounts a LEFT JOIN leader_levels l "
            "ON l.id = a.level_id WHERE a.leader_id = :a",
            a=leader,
        )
        for leader in (a, b, c)
    }
    assert levels == {a: "silver", b: "silver", c: None}
    await do_accrue(db, line(4, a, 10_000, picked_up_at=now))  # 10 % + 1 %
    assert [r["amount_fen"] for r in await entries(db, a)][-1] == 1100
