"""order refunded status

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24

Orders gain the status ``refunded``: paid, and all of the payment went back
(fulfilment/orders/refunded.py states the rule the code applies from now on).

The status is stored as the models' ``enum_column`` stores every enum, on
both databases: VARCHAR(32) with a CHECK listing the values, not a native
PostgreSQL enum. So no ``ALTER TYPE … ADD VALUE`` (which older PostgreSQL
refuses inside a transaction block): the CHECK is rewritten, in the
migration's transaction, and the backfill runs in the same one.

Backfill: orders already refunded in full read ``refunded``, by the same
rule, spelled in SQL here (a migration does not import application code):
paid, with a positive total, and refunds other than ``double_payment``
summing to at least that total.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STATUSES = ("pending_payment", "paid", "cancelled", "expired")

BACKFILL = """
UPDATE orders SET status = 'refunded'
 WHERE status <> 'refunded'
   AND paid_at IS NOT NULL
   AND total_fen > 0
   AND (SELECT coalesce(sum(r.amount_fen), 0) FROM refunds r
         WHERE r.order_id = orders.id AND r.reason <> 'double_payment') >= total_fen
"""

# Back to what the code before this revision left: an order refunded line by
# line stayed 'paid' (it was never closed); one cancelled after paying stayed
# 'cancelled'; one paid after it closed kept its closed status, which the
# notification that paid it recorded ("paid after the order was cancelled;
# refunded", payment_rules.decide).
RESTORE = """
UPDATE orders SET status = CASE
    WHEN closed_at IS NULL THEN 'paid'
    WHEN EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = orders.id
                    AND r.reason IN ('customer_cancelled', 'operator_cancelled'))
        THEN 'cancelled'
    WHEN EXISTS (SELECT 1 FROM payment_notifications n
                  WHERE n.order_number = orders.number
                    AND n.reason LIKE 'paid after the order was cancelled%')
        THEN 'cancelled'
    ELSE 'expired'
END
 WHERE status = 'refunded'
"""


def _allowed(values: tuple[str, ...]) -> None:
    """Rewrite the CHECK listing orders.status's values. PostgreSQL alters
    it in place; SQLite rebuilds the table (Alembic reflects its named
    CHECKs, so the rebuilt table keeps every other constraint and index)."""
    name = op.f("ck_orders_order_status")
    check = "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(name, "orders", type_="check")
        op.create_check_constraint(name, "orders", check)
        return
    with op.batch_alter_table("orders", recreate="always") as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.create_check_constraint(name, sa.text(check))


def upgrade() -> None:
    _allowed((*STATUSES, "refunded"))
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute(RESTORE)
    _allowed(STATUSES)
