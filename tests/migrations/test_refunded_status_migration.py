"""0013: orders already refunded in full read ``refunded`` after the
upgrade, by the rule the code applies (double payments aside), and the
downgrade gives each back the status the code before it left."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

import migrations
from tests.conftest import PG_ADMIN_URL, _libpq, _pg_reachable

AT = "2026-01-01 00:00:00"

# (id, status, paid, closed) and the refunds (amount, reason) of each order,
# every total 1000 fen; then what 0013 makes of it.
ORDERS = [
    (1, "paid", True, False, [(600, "group_threshold_missed"), (400, "shortage")]),
    (2, "paid", True, False, [(600, "shortage")]),
    (3, "paid", True, False, [(1000, "double_payment")]),
    (4, "cancelled", True, True, [(1000, "customer_cancelled")]),
    (5, "expired", True, True, [(1000, "paid_after_close")]),
    (6, "cancelled", True, True, [(1000, "paid_after_close")]),
    (7, "pending_payment", False, False, []),
    (8, "cancelled", False, True, []),
]
UPGRADED = [
    "refunded",  # its lines refunded whole
    "paid",  # in part
    "paid",  # a second payment given back
    "refunded",
    "refunded",
    "refunded",
    "pending_payment",
    "cancelled",
]


def _seed(execute: Callable[[str], object]) -> None:
    """The orders above, as rows (their parents are not needed: foreign
    keys are not checked while seeding)."""
    for order_id, status, paid, closed, refunds in ORDERS:
        paid_at, closed_at = (f"'{AT}'" if flag else "NULL" for flag in (paid, closed))
        tx = f"'tx{order_id}'" if paid else "NULL"
        execute(
            "INSERT INTO orders (id, number, campaign_id, pickup_point_id, leader_id, "
            "customer_id, placed_by_id, status, total_fen, idempotency_key, request_hash, "
            "created_at, expires_at, paid_at, payment_transaction_id, closed_at) VALUES "
            f"({order_id}, 'N{order_id}', 1, 1, 1, 1, 1, '{status}', 1000, 'k{order_id}', "
            f"'h', '{AT}', '{AT}', {paid_at}, {tx}, {closed_at})"
        )
        for amount, reason in refunds:
            execute(
                "INSERT INTO refunds (order_id, amount_fen, reason, created_at) "
                f"VALUES ({order_id}, {amount}, '{reason}', '{AT}')"
            )
    # Order 6 was paid after it was cancelled; 5 after it expired.
    for order_id, was in ((5, "expired"), (6, "cancelled")):
        execute(
            "INSERT INTO payment_notifications (order_number, transaction_id, amount_fen, "
            f"outcome, reason, received_at) VALUES ('N{order_id}', 'tx{order_id}', 1000, "
            f"'accepted', 'paid after the order was {was}; refunded', '{AT}')"
        )


def test_sqlite_backfills_and_restores(tmp_path: Path) -> None:
    path = tmp_path / "at_0012.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrations.upgrade(url, "0012")
    conn = sqlite3.connect(path)
    with conn:  # commits
        _seed(conn.execute)
    conn.close()

    def statuses() -> list[str]:
        conn = sqlite3.connect(path)
        try:
            return [s for (s,) in conn.execute("SELECT status FROM orders ORDER BY id")]
        finally:
            conn.close()

    migrations.upgrade(url, "0020")  # seeded orphans: later revisions update orders
    assert statuses() == UPGRADED
    command.downgrade(migrations.alembic_config(url), "0012")
    assert statuses() == [status for _, status, *_ in ORDERS]


def test_postgres_backfills_and_restores() -> None:
    if reason := _pg_reachable():
        pytest.skip(reason)
    name = f"tuangou_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url, "0012")
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            # Foreign keys are triggers on PostgreSQL: off for the seeding.
            conn.execute("SET session_replication_role = replica")
            _seed(conn.execute)

        def statuses() -> list[str]:
            with psycopg.connect(_libpq(url)) as conn:
                return [s for (s,) in conn.execute("SELECT status FROM orders ORDER BY id")]

        migrations.upgrade(url, "0020")  # seeded orphans: later revisions update orders
        assert statuses() == UPGRADED
        with psycopg.connect(_libpq(url)) as conn, pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE orders SET status = 'refunded_twice' WHERE id = 1")
        command.downgrade(migrations.alembic_config(url), "0012")
        assert statuses() == [status for _, status, *_ in ORDERS]
    finally:
        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
