"""Random sequences of pickups, refunds, settlements, payouts and rejections,
checked after every step against a model computed independently of the
ledger: for every leader accrued − reversed − paid − fees = balance, no
payout ever above the available balance, each order line's commission
counted once, a line refunded in full reverses exactly what it accrued, and
settling a period again changes nothing.

Examples share the database: each runs its own leaders, order lines and
settlement periods (simulated weeks in the past, after the previous
example's), on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.money import div_half_even
from kernel.settings import Settings
from leaders.commission.accrual import accrue, commission_fen, reverse
from leaders.commission.payouts import reject_payout, request_payout
from leaders.commission.settlement import closes_at, latest_closed_period, period_end_at, settle
from tests.conftest import TestDB
from tests.support.commission import Team, chained, line, set_recruiter, settled_once, team

LEADERS = 3  # leader 1 was recruited by leader 0


FEE = 100


pickup = st.tuples(st.just("pickup"), st.integers(0, LEADERS - 1), st.integers(1, 40_000))


again = st.tuples(st.just("again"), st.integers(0, 20))


refund = st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100))


advance = st.tuples(st.just("advance"), st.integers(1, 80))


settle_op = st.tuples(st.just("settle"))


resettle = st.tuples(st.just("resettle"))


payout = st.tuples(st.just("payout"), st.integers(0, LEADERS - 1), st.integers(500, 8_000))


reject = st.tuples(st.just("reject"), st.integers(0, 20))


operations = st.lists(
    st.one_of(pickup, pickup, again, refund, refund, advance, settle_op, resettle, payout, reject),
    min_size=1,
    max_size=25,
)


_ids = itertools.count(1)


@dataclass
class Line:
    id: int
    leader: int  # index into the team
    net: int  # at pickup
    refunded: int = 0
    picked_up_at: datetime = field(default_factory=utcnow)


@dataclass
class Model:
    """What each leader should hold, from the rules alone."""

    lines: list[Line] = field(default_factory=list)
    paid: list[int] = field(default_factory=lambda: [0] * LEADERS)  # payouts + fees
    payouts: list[tuple[int, int, int]] = field(default_factory=list)  # id, leader, amount

    def earned(self, leader: int, rate: int, recruit_rate: int) -> int:
        total = 0
        for ln in self.lines:
            for owner, bps in ((ln.leader, rate), (0 if ln.leader == 1 else None, recruit_rate)):
                if owner != leader:
                    continue
                accrued = commission_fen(ln.net, bps)
                total += accrued - div_half_even(accrued * ln.refunded, ln.net)
        return total


class Run:
    def __init__(self, db: TestDB, t: Team, config: Settings, first_period: date) -> None:
        self.db = db
        self.team = t
        self.config = config
        self.model = Model()
        self.period = first_period
        self.clock = period_end_at(first_period, config) - timedelta(days=6)
        self.settled: list[date] = []

    async def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "pickup":
            await self.pickup(op[1], op[2])
        elif kind == "again" and self.model.lines:
            await self.again(self.model.lines[op[1] % len(self.model.lines)])
        elif kind == "refund" and self.model.lines:
            await self.refund(self.model.lines[op[1] % len(self.model.lines)], op[2])
        elif kind == "advance":
            self.clock += timedelta(hours=op[1])
        elif kind == "settle":
            await self.settle()
        elif kind == "resettle" and self.settled:
            await self.resettle()
        elif kind == "payout":
            await self.payout(op[1], op[2])
        elif kind == "reject" and self.model.payouts:
            await self.reject(self.model.payouts[op[1] % len(self.model.payouts)])

    async def pickup(self, leader: int, net: int) -> None:
        ln = Line(next(_ids), leader, net, picked_up_at=self.clock)
        async with unit_of_work(self.db.sessions) as session:
            added = await accrue(session, [self._picked(ln)], settings=self.config)
        assert added == 1
        self.model.lines.append(ln)

    def _picked(self, ln: Line) -> Any:
        return line(
            ln.id, self.team.leaders[ln.leader], ln.net - ln.refunded, picked_up_at=ln.picked_up_at
        )

    async def again(self, ln: Line) -> None:
        async with unit_of_work(self.db.sessions) as session:
            assert await accrue(session, [self._picked(ln)], settings=self.config) == 0

    async def refund(self, ln: Line, percent: int) -> None:
        left = ln.net - ln.refunded
        if left == 0:
            return
        amount = max(1, left * percent // 100)
        async with unit_of_work(self.db.sessions) as session:
            await reverse(
                session,
                order_line_id=ln.id,
                refund_id=next(_ids),
                refund_fen=amount,
                line_net_fen_before=left,
                now=self.clock,
            )
        ln.refunded += amount

    async def settle(self) -> None:
        self.clock = max(self.clock, closes_at(self.period, self.config))
        async with unit_of_work(self.db.sessions) as session:
            await settle(session, self.clock, self.config, period_end=self.period)
        self.settled.append(self.period)
        self.period += timedelta(days=self.config.settlement_period_days)

    async def resettle(self) -> None:
        before = await self.snapshot()
        async with unit_of_work(self.db.sessions) as session:
            await settle(session, self.clock, self.config, period_end=self.settled[-1])
        assert await self.snapshot() == before

    async def payout(self, leader: int, amount: int) -> None:
        leader_id = self.team.leaders[leader]
        available = await self.available(leader_id)
        try:
            async with unit_of_work(self.db.sessions) as session:
                made = await request_payout(
                    session, leader_id, amount, f"p{next(_ids)}", self.clock, self.config
                )
        except DomainError as exc:
            assert amount < self.config.payout_min_fen or amount > available, exc.message
            return
        assert self.config.payout_min_fen <= amount <= available
        assert await self.available(leader_id) == available - amount >= 0
        self.model.paid[leader] += amount
        self.model.payouts.append((made.id, leader, amount))

    async def reject(self, made: tuple[int, int, int]) -> None:
        payout_id, leader, amount = made
        try:
            async with unit_of_work(self.db.sessions) as session:
                await reject_payout(session, payout_id, self.team.operator, "退回", self.clock)
        except DomainError:
            return  # already rejected
        self.model.paid[leader] -= amount

    async def available(self, leader_id: int) -> int:
        value = await self.db.scalar(
            "SELECT available_fen FROM commission_accounts WHERE leader_id = :l", l=leader_id
        )
        return int(value or 0)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.engine.connect() as conn:
            return list(await conn.execute(text(sql), params))

    async def snapshot(self) -> tuple[Any, ...]:
        return (
            await self.rows(
                "SELECT count(*), coalesce(sum(amount_fen), 0) FROM commission_entries"
            ),
            await self.rows(
                "SELECT count(*), coalesce(sum(total_fen), 0) FROM commission_statements"
            ),
            await self.rows(
                "SELECT leader_id, pending_fen, available_fen FROM commission_accounts"
            ),
        )

    async def check(self) -> None:
        config = self.config
        for index, leader_id in enumerate(self.team.leaders):
            entries = [
                dict(r._mapping)
                for r in await self.rows(
                    "SELECT kind, account, amount_fen, balance_before_fen, balance_after_fen "
                    "FROM commission_entries WHERE leader_id = :l ORDER BY id",
                    l=leader_id,
                )
            ]
            assert chained(entries)
            balance = await self.rows(
                "SELECT pending_fen + available_fen FROM commission_accounts WHERE leader_id = :l",
                l=leader_id,
            )
            held = int(balance[0][0]) if balance else 0
            # accrued - reversed - paid - fees = balance, from the model alone.
            earned = self.model.earned(
                index, config.commission_default_rate_bps, config.recruit_share_bps
            )
            assert held == earned - self.model.paid[index], (index, held, earned)
            # Settlement moves money between the two balances, never creates it.
            assert sum(e["amount_fen"] for e in entries if e["kind"] != "settlement") == held
        # Each line's commission counted once; a line refunded in full is back to zero.
        accrued_twice = await self.rows(
            "SELECT order_line_id FROM commission_entries WHERE kind = 'accrual' "
            "GROUP BY order_line_id HAVING count(*) > 1"
        )
        assert accrued_twice == []
        for ln in self.model.lines:
            if ln.refunded == ln.net:
                [(left,)] = await self.rows(
                    "SELECT sum(amount_fen) FROM commission_entries WHERE order_line_id = :o",
                    o=ln.id,
                )
                assert left == 0
        # Every statement is the exact sum of its lines; each entry settled
        # once; what is pending is what no statement settled.
        assert await settled_once(self.db)


async def fresh_run(db: TestDB) -> Run:
    t = await team(db, LEADERS)
    await set_recruiter(db, t.leaders[1], t.leaders[0])
    config = db.settings.model_copy(update={"payout_fee_fen": FEE})
    days = timedelta(days=config.settlement_period_days)
    last = await db.scalar("SELECT max(period_end) FROM commission_settlements")
    if last is None:
        # Far enough back that every example's weeks stay in the past.
        first = latest_closed_period(utcnow(), config) - 600 * days
    else:
        first = (date.fromisoformat(last) if isinstance(last, str) else last) + days
    return Run(db, t, config, first)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
# Histories worth running every time: a line refunded in three parts across
# a settlement and paid out in between (negative balance carried forward);
# a payout rejected and its money paid out again.
@example(
    ops=[
        ("pickup", 1, 999),
        ("refund", 0, 33),
        ("settle",),
        ("payout", 0, 1_000),
        ("payout", 1, 1_000),
        ("refund", 0, 50),
        ("refund", 0, 100),
        ("settle",),
        ("resettle",),
        ("pickup", 1, 20_000),
        ("settle",),
    ]
)
@example(
    ops=[
        ("pickup", 2, 40_000),
        ("settle",),
        ("payout", 2, 3_000),
        ("payout", 2, 3_000),
        ("reject", 0),
        ("payout", 2, 4_000),
        ("again", 0),
    ]
)
async def test_random_ledgers_balance_to_the_fen(db: TestDB, ops: list[tuple[Any, ...]]) -> None:
    run = await fresh_run(db)
    for op in ops:
        await run.apply(op)
        await run.check()
