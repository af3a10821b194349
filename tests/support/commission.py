"""Leaders and ledger readings for the commission tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.accrual import PickedUpLine, accrue, reverse
from leaders.commission.models import (
    CommissionAccount,
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    Settlement,
    Statement,
)
from leaders.commission.statements import statement_lines_query
from leaders.points.models import Leader
from tests.conftest import TestDB
from tests.support.factories import approved_pickup_point


@dataclass
class Team:
    operator: User
    operator_token: str
    leaders: list[int]  # leader ids
    users: list[User]
    tokens: list[str]


async def team(db: TestDB, size: int) -> Team:
    """An operator and ``size`` approved leaders."""
    operator, operator_token = await db.user(Role.OPERATOR)
    leaders: list[int] = []
    users: list[User] = []
    tokens: list[str] = []
    for _ in range(size):
        _, user, token = await approved_pickup_point(db, operator, None)
        leaders.append(int(await db.scalar("SELECT id FROM leaders WHERE user_id = :u", u=user.id)))
        users.append(user)
        tokens.append(token)
    return Team(operator, operator_token, leaders, users, tokens)


async def set_recruiter(
    db: TestDB, recruit: int, recruiter: int, approved_at: datetime | None = None
) -> None:
    async with unit_of_work(db.sessions) as session:
        leader = await session.get(Leader, recruit)
        assert leader is not None
        leader.recruited_by_id = recruiter
        if approved_at is not None:
            leader.approved_at = approved_at


def line(
    order_line_id: int,
    leader_id: int,
    net_fen: int,
    *,
    product_id: int = 1,
    category: str = "水果",
    picked_up_at: datetime | None = None,
) -> PickedUpLine:
    return PickedUpLine(
        order_line_id=order_line_id,
        leader_id=leader_id,
        product_id=product_id,
        category=category,
        net_fen=net_fen,
        picked_up_at=picked_up_at or utcnow() - timedelta(days=10),
    )


async def do_accrue(db: TestDB, *lines: PickedUpLine, **kwargs: Any) -> int:
    async with unit_of_work(db.sessions) as session:
        return await accrue(session, lines, settings=db.settings, **kwargs)


async def do_reverse(
    db: TestDB,
    order_line_id: int,
    refund_id: int,
    refund_fen: int,
    net_before: int,
    now: datetime | None = None,
) -> int:
    async with unit_of_work(db.sessions) as session:
        return await reverse(
            session,
            order_line_id=order_line_id,
            refund_id=refund_id,
            refund_fen=refund_fen,
            line_net_fen_before=net_before,
            now=now or utcnow(),
        )


async def entries(db: TestDB, leader_id: int) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, kind, account, amount_fen, balance_before_fen, balance_after_fen, "
                "order_line_id, refund_id, recruit_id, payout_id, statement_id "
                "FROM commission_entries WHERE leader_id = :l ORDER BY id"
            ),
            {"l": leader_id},
        )
        return [dict(r._mapping) for r in rows]


async def balances(db: TestDB, leader_id: int) -> tuple[int, int]:
    """(pending, available) of a leader; (0, 0) without an account."""
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT pending_fen, available_fen FROM commission_accounts "
                    "WHERE leader_id = :l"
                ),
                {"l": leader_id},
            )
        ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def chained(rows: list[dict[str, Any]]) -> bool:
    """Each account's entries follow on from each other, starting at zero."""
    last: dict[str, int] = {}
    for row in rows:
        if row["balance_before_fen"] != last.get(row["account"], 0):
            return False
        if row["balance_after_fen"] != row["balance_before_fen"] + row["amount_fen"]:
            return False
        last[row["account"]] = row["balance_after_fen"]
    return True


async def statement_lines(db: TestDB, statement_id: int) -> list[LedgerEntry]:
    """The entries a statement settled, read as the API reads them."""
    async with db.sessions() as session:
        statement = await session.get(Statement, statement_id)
        assert statement is not None
        settlement = await session.get(Settlement, statement.settlement_id)
        assert settlement is not None
        return list((await session.execute(statement_lines_query(statement, settlement))).scalars())


async def settled_once(db: TestDB) -> bool:
    """Every statement is the sum of its lines, no entry is in two
    statements, and what no statement settled is exactly what is pending."""
    async with db.sessions() as session:
        statements = list((await session.execute(select(Statement))).scalars())
        pending = dict(
            (
                await session.execute(
                    select(CommissionAccount.leader_id, CommissionAccount.pending_fen)
                )
            ).all()
        )
        open_entries = list(
            (
                await session.execute(
                    select(LedgerEntry).where(
                        LedgerEntry.account == LedgerAccount.PENDING,
                        LedgerEntry.kind != EntryKind.SETTLEMENT,
                    )
                )
            ).scalars()
        )
    seen: set[int] = set()
    for statement in statements:
        lines = await statement_lines(db, statement.id)
        if sum(e.amount_fen for e in lines) != statement.total_fen:
            return False
        if len(lines) != statement.line_count or seen & {e.id for e in lines}:
            return False
        seen |= {e.id for e in lines}
    left: dict[int, int] = {}
    for entry in open_entries:
        if entry.id not in seen:
            left[entry.leader_id] = left.get(entry.leader_id, 0) + entry.amount_fen
    return all(left.get(leader, 0) == fen for leader, fen in pending.items())
