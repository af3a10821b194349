"""tuangou_book_payment (fulfilment/orders/payments_postgres.sql) is what
migration 0026 installs, its sections are payment_rules.py's, and it books
every case the rules tell apart exactly as the Python rules do on PostgreSQL
(the statements SQLite runs, through a session): the same outcome, reason
and rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders import payment_rules, payments_postgres, pickup_codes
from fulfilment.orders.payment_rules import FACTS_LOCKED, OrderFacts, plan
from fulfilment.orders.payments import PaymentResult, record_payment
from fulfilment.orders.payments_postgres import book_payment_function_sql
from kernel.db import write_in_transaction
from tests.conftest import TestDB, _libpq
from tests.fulfilment.orders.test_place_order_sql import _tokens
from tests.support.factories import Shop, open_shop

pytestmark = pytest.mark.postgres_only

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
TOTAL = 1980
CODES = [f"{n:06d}" for n in range(100001, 100001 + pickup_codes.MAX_DRAWS)]
_SECTION = re.compile(r"^\s*-- section: (\w+)\s*$", re.MULTILINE)


def _definition(conn: psycopg.Connection[Any]) -> tuple[str, list[str] | None]:
    row = conn.execute(
        "SELECT pg_get_functiondef(oid), proconfig FROM pg_proc "
        "WHERE proname = 'tuangou_book_payment'"
    ).fetchall()
    assert len(row) == 1, "one tuangou_book_payment, no overloads"
    return row[0][0], row[0][1]


def test_the_sql_file_is_what_the_migrations_install(postgres_url: str) -> None:
    # As test_place_order_sql.py: both sides pg_get_functiondef, the file's
    # run in a transaction rolled back; only whitespace and comments may differ.
    with psycopg.connect(_libpq(postgres_url), autocommit=True) as conn:
        installed, config = _definition(conn)
        with conn.transaction(force_rollback=True):
            conn.execute(book_payment_function_sql())
            from_file, file_config = _definition(conn)
    assert "\n".join(_tokens(from_file)) == "\n".join(_tokens(installed)), (
        "payments_postgres.sql differs from the migrations' head; "
        "a change to the function needs a migration with a frozen copy"
    )
    assert config == file_config == ["plan_cache_mode=force_generic_plan"]


def test_the_sections_are_the_python_rules() -> None:
    # One section per piece of the rules, named as in Python, in the order a
    # payment runs them; the code is issued last in both.
    python = {
        "facts": payment_rules.FACTS,
        "decide": payment_rules.decide,
        "decide_cash": payment_rules.decide_cash,
        "plan": payment_rules.plan,
        "code": pickup_codes.issue_new_order_code,
    }
    assert _SECTION.findall(book_payment_function_sql()) == list(python)


# --- parity -------------------------------------------------------------------


@dataclass(frozen=True)
class Given:
    """An order as a case starts from (``tx``: the transaction that paid it;
    ``paid`` without ``tx``: paid in cash)."""

    number: str
    status: str = "pending_payment"
    paid: bool = False
    tx: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    orders: list[Given]
    number: str = "A"
    tx: str | None = "T1"
    amount: int = TOTAL
    # Notifications booked before: (order number, transaction id).
    accepted: list[tuple[str, str]] = field(default_factory=list)


PAID_T1 = Given("A", "paid", paid=True, tx="T1")
CASH_PAID = Given("A", "paid", paid=True)
CODE_TAKEN = Given("B", "paid", paid=True, tx="T9", code=CODES[0])
SECOND = ("accepted", "second payment for one order; refunded")
# (case, the outcome and reason the rules give it): each case is the one it
# names, so together they reach every branch of decide() and decide_cash().
CASES = [
    (Case("unknown order", [Given("A")], number="B"), ("rejected", "unknown order")),
    (Case("longer than a number", [Given("A")], number="N" * 70), ("rejected", "unknown order")),
    (
        Case("wrong amount", [Given("A")], amount=TOTAL - 1),
        ("rejected", f"amount {TOTAL - 1} fen does not match the order total {TOTAL} fen"),
    ),
    (
        Case("pays another order", [Given("A"), Given("B", "paid", paid=True, tx="T1")]),
        ("rejected", "transaction already paid another order"),
    ),
    (Case("replay", [PAID_T1]), ("duplicate", "already recorded")),
    (
        Case("replayed second payment", [PAID_T1], tx="T2", accepted=[("A", "T2")]),
        ("duplicate", "already recorded"),
    ),
    (Case("second payment", [PAID_T1], tx="T2"), SECOND),
    (Case("pending", [Given("A")]), ("accepted", None)),
    (Case("pending, first code taken", [Given("A"), CODE_TAKEN]), ("accepted", None)),
    (
        Case("cancelled", [Given("A", "cancelled")]),
        ("accepted", "paid after the order was cancelled; refunded"),
    ),
    (
        Case("expired", [Given("A", "expired")]),
        ("accepted", "paid after the order was expired; refunded"),
    ),
    (Case("refunded late payment", [Given("A", "refunded", True, "T1")], tx="T2"), SECOND),
    (Case("paid in cash, then by WeChat", [CASH_PAID]), SECOND),
    (Case("cash, pending", [Given("A")], tx=None), ("accepted", None)),
    (
        Case("cash, wrong amount", [Given("A")], tx=None, amount=TOTAL + 1),
        ("rejected", f"amount {TOTAL + 1} fen does not match the order total {TOTAL} fen"),
    ),
    (Case("cash, unknown order", [Given("A")], number="B", tx=None), ("rejected", "unknown order")),
    (Case("cash, paid by WeChat", [PAID_T1], tx=None), ("rejected", "the order is paid")),
    (Case("cash, paid in cash", [CASH_PAID], tx=None), ("rejected", "the order is paid")),
    (
        Case("cash, cancelled", [Given("A", "cancelled")], tx=None),
        ("rejected", "the order is cancelled"),
    ),
    (Case("cash, expired", [Given("A", "expired")], tx=None), ("rejected", "the order is expired")),
]


async def _given(session: AsyncSession, shop: Shop, case: Case) -> None:
    ids = (
        await session.execute(
            # The leader's own user stands in for the customer: any user will do.
            text("SELECT leader_id, CAST(:u AS bigint) FROM pickup_points WHERE id = :p"),
            {"p": shop.pickup_point_id, "u": shop.leader_user.id},
        )
    ).one()  # fmt: skip
    for given in case.orders:
        order_id = (
            await session.execute(
                text(
                    "INSERT INTO orders (number, campaign_id, pickup_point_id, leader_id,"
                    " customer_id, placed_by_id, status, total_fen, idempotency_key,"
                    " request_hash, created_at, expires_at, paid_at, payment_transaction_id,"
                    " paid_fen) VALUES (:number, :campaign, :point, :leader, :customer,"
                    " :customer, :status, :total, :number, 'h', :created, :expires, :paid_at,"
                    " :tx, :paid_fen) RETURNING id"
                ),
                {
                    "number": given.number, "campaign": shop.campaign_id,
                    "point": shop.pickup_point_id, "leader": ids[0], "customer": ids[1],
                    "status": given.status, "total": TOTAL, "created": NOW - timedelta(hours=1),
                    "expires": NOW + timedelta(hours=1),
                    "paid_at": NOW - timedelta(minutes=5) if given.paid else None,
                    "tx": given.tx, "paid_fen": TOTAL if given.paid else 0,
                },
            )
        ).scalar_one()  # fmt: skip
        if given.code is not None:
            await session.execute(
                text("INSERT INTO pickup_codes (order_id, pickup_point_id, delivery_date, code,"
                     " created_at) VALUES (:o, :p, :d, :c, :t)"),
                {"o": order_id, "p": shop.pickup_point_id, "d": shop.delivery_date,
                 "c": given.code, "t": NOW},
            )  # fmt: skip
    for number, tx in case.accepted:
        await session.execute(
            text("INSERT INTO payment_notifications (order_number, transaction_id, amount_fen,"
                 " outcome, reason, received_at) VALUES (:n, :t, :a, 'accepted', 'x', :r)"),
            {"n": number, "t": tx, "a": TOTAL, "r": NOW - timedelta(minutes=1)},
        )  # fmt: skip


async def _by_python_rules(session: AsyncSession, case: Case) -> PaymentResult:
    """The rules as payment_rules.py spells them, run on PostgreSQL: what
    record_payment did there before the function (and SQLite still does)."""
    tx = case.tx
    row = (
        await session.execute(
            FACTS_LOCKED, {"number": case.number, "tx": tx, "tx64": tx and tx[:64]}
        )
    ).one_or_none()
    facts = None if row is None else OrderFacts(*row)
    decision, planned = plan(
        facts, number=case.number, amount_fen=case.amount, transaction_id=tx, now=NOW
    )
    for statement, params in planned:
        await write_in_transaction(session, statement, **params)
    if facts is not None and decision.issue_code:
        await pickup_codes.issue_new_order_code(
            session, facts.order_id, facts.pickup_point_id, facts.delivery_date, NOW
        )
    return PaymentResult(
        decision.outcome, decision.reason, None if facts is None else facts.order_id
    )


_SNAPSHOT = {
    "orders": "SELECT number, status, total_fen, paid_at, payment_transaction_id, paid_fen,"
    " refunded_fen FROM orders ORDER BY number",
    "refunds": "SELECT o.number, r.amount_fen, r.reason, r.state, r.transaction_id,"
    " r.created_at, r.resend_no, r.attempts, r.order_line_id, r.quantity FROM refunds r"
    " JOIN orders o ON o.id = r.order_id ORDER BY 1, 3",
    "notifications": "SELECT order_number, transaction_id, amount_fen, outcome, reason,"
    " received_at FROM payment_notifications ORDER BY received_at, order_number",
    "codes": "SELECT o.number, c.pickup_point_id, c.delivery_date, c.code, c.created_at"
    " FROM pickup_codes c JOIN orders o ON o.id = c.order_id ORDER BY 1",
}


async def _run(db: TestDB, shop: Shop, case: Case, by_function: bool) -> dict[str, Any]:
    """The case's answer and rows, in a transaction that is then rolled back."""
    async with db.sessions() as session:
        transaction = await session.begin()
        await _given(session, shop, case)
        if by_function:
            result = await record_payment(
                session,
                order_number=case.number,
                amount_fen=case.amount,
                transaction_id=case.tx,
                now=NOW,
            )
        else:
            result = await _by_python_rules(session, case)
        named = None
        if result.order_id is not None:
            named = (
                await session.execute(
                    text("SELECT number FROM orders WHERE id = :i"), {"i": result.order_id}
                )
            ).scalar_one()
        seen: dict[str, Any] = {"answer": (result.outcome, result.reason, named)}
        for table, sql in _SNAPSHOT.items():
            seen[table] = [tuple(r) for r in (await session.execute(text(sql))).all()]
        await transaction.rollback()
    return seen


async def test_the_function_books_as_the_python_rules(
    pg: TestDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await open_shop(pg)
    for case, expected in CASES:
        # The same codes drawn in the same order on both sides: the Python
        # rules draw one at a time (draw_code, then issue_pickup_code's
        # default when the first is taken), the function gets them all at once.
        draws = iter(CODES)
        monkeypatch.setattr(pickup_codes, "draw_code", lambda d=draws: next(d))
        monkeypatch.setattr(
            pickup_codes.issue_pickup_code, "__defaults__", (lambda d=draws: next(d),)
        )
        by_rules = await _run(pg, shop, case, by_function=False)
        monkeypatch.setattr(payments_postgres, "drawn_codes", lambda: list(CODES))
        by_function = await _run(pg, shop, case, by_function=True)
        assert by_function == by_rules, case.name
        outcome, reason, _ = by_rules["answer"]
        assert (outcome.value, reason) == expected, case.name
    # The code case drew past the taken code, on both sides.
    taken = next(c for c, _ in CASES if c.name == "pending, first code taken")
    codes = (await _run(pg, shop, taken, by_function=True))["codes"]
    assert [(number, code) for number, _, _, code, _ in codes] == [("A", CODES[1]), ("B", CODES[0])]
