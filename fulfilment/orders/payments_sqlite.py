"""A payment notification on SQLite, the embedded default, in one hop to
aiosqlite's database thread: the facts, ``decide`` and the writes run there
together, as the prebuilt statements of payment_rules.py compiled once.
Through the session they were nine hops (one per round trip of each
statement), and the hops, not SQLite, were the cost of a payment."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.models import OrderStatus
from fulfilment.orders.payment_rules import (
    FACTS,
    MARK_PAID,
    NOTIFICATION,
    REFUND,
    Decision,
    OrderFacts,
    decide,
)
from fulfilment.pickup_codes import MAX_DRAWS, code_insert, draw_code
from kernel.db import Prepared, prepared, run_in_sqlite_thread


@dataclass(frozen=True)
class _Statements:
    facts: Prepared
    mark_paid: Prepared
    code: Prepared
    refund: Prepared
    notification: Prepared


async def record_on_sqlite(
    session: AsyncSession, number: str, amount_fen: int, transaction_id: str, now: datetime
) -> tuple[Decision, int | None]:
    """Apply the notification in the unit of work's transaction; the
    decision and the id of the order it named, if any."""
    dialect = session.get_bind().dialect
    statements = _Statements(
        *(
            prepared(statement, dialect)
            for statement in (FACTS, MARK_PAID, code_insert("sqlite"), REFUND, NOTIFICATION)
        )
    )
    return await run_in_sqlite_thread(
        session, partial(_record, statements, number, amount_fen, transaction_id, now)
    )


def _record(
    run: _Statements,
    number: str,
    amount_fen: int,
    transaction_id: str,
    now: datetime,
    conn: sqlite3.Connection,
) -> tuple[Decision, int | None]:
    # In the database thread, inside the unit of work's transaction (BEGIN
    # IMMEDIATE: writers take turns, so what is read here stays true).
    found = run.facts.run(conn, number=number, tx=transaction_id, tx64=transaction_id[:64])
    facts = None
    if found:
        order_id, total, status, paid_by, point_id, day, paid_another, accepted_before = found[0]
        facts = OrderFacts(
            order_id,
            total,
            OrderStatus(status),
            paid_by,
            point_id,
            date.fromisoformat(day),
            bool(paid_another),
            bool(accepted_before),
        )
    decision = decide(facts, amount_fen, transaction_id)
    if facts is not None:
        if decision.mark_paid is not None:
            run.mark_paid.run(
                conn,
                order_id=facts.order_id,
                status=decision.mark_paid,
                paid_at=now,
                tx=transaction_id,
            )
        if decision.issue_code:
            _issue_code(run.code, conn, facts, now)
        if decision.refund is not None:
            run.refund.run(
                conn,
                order_id=facts.order_id,
                amount_fen=facts.total_fen,
                reason=decision.refund,
                created_at=now,
            )
    run.notification.run(
        conn,
        order_number=number[:64],
        transaction_id=transaction_id[:64],
        amount_fen=amount_fen,
        outcome=decision.outcome,
        reason=decision.reason,
        received_at=now,
    )
    return decision, None if facts is None else facts.order_id


def _issue_code(code: Prepared, conn: sqlite3.Connection, facts: OrderFacts, now: datetime) -> None:
    # An order being paid has no code yet, and no other writer runs meanwhile,
    # so only a code another order of the day holds is ever skipped.
    for _ in range(MAX_DRAWS):
        if code.run(
            conn,
            order_id=facts.order_id,
            pickup_point_id=facts.pickup_point_id,
            delivery_date=facts.delivery_date,
            code=draw_code(),
            created_at=now,
        ):
            return
    raise RuntimeError(f"no free pickup code found for order {facts.order_id}")
