"""Order search and goodwill compensation

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

Two changes for the back office's order service (docs/back-office.md):

- ``orders`` gains ``ix_orders_campaign_id_id``: operators search a delivery
  date's orders (the date names its campaigns, one per warehouse), newest
  first; no index led with ``campaign_id`` before, so that search read the
  whole table. Searches by number (unique), customer (``ix_orders_customer_id``)
  and pickup point (``ix_orders_pickup_point_campaign``) had theirs already.
- ``refunds.reason`` allows ``goodwill``: an operator's compensation
  (fulfilment/orders/compensation.py). Enums are VARCHAR(32) with a CHECK on
  both databases (``enum_column``), so the CHECK is rewritten as 0009 did:
  in place on PostgreSQL, by rebuilding the table on SQLite.

Rebuilding ``refunds`` on SQLite drops its triggers with the old table, and
since 0021 it has one: ``refunds_count_into_orders``, the refund cap's
counting (fulfilment/orders/refund_cap.py). It is installed again after the
rebuild, from a frozen copy of 0021's text (a migration never imports
application code, nor another revision). PostgreSQL alters the CHECK in
place and keeps its trigger.

Downgrade refuses nothing: goodwill refunds become ``after_sale_other`` (money
back to a customer for a reason of the operator's: the nearest older reason)
before the CHECK is narrowed again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

REASONS = (
    "customer_cancelled",
    "operator_cancelled",
    "paid_after_close",
    "double_payment",
    "group_threshold_missed",
    "shortage",
    "delivery_missing",
    "delivery_damaged",
    "after_sale_quality",
    "after_sale_wrong_item",
    "after_sale_missing",
    "after_sale_other",
)

# 0021's SQLite trigger, frozen here: the rebuilt table needs it again.
SQLITE_TRIGGER = """
    CREATE TRIGGER refunds_count_into_orders AFTER INSERT ON refunds
    BEGIN
        UPDATE orders SET refunded_fen = refunded_fen + NEW.amount_fen
         WHERE id = NEW.order_id;
    END
    """


def _refund_reasons(values: tuple[str, ...]) -> None:
    """Rewrite the CHECK listing the refund reasons: in place on PostgreSQL;
    on SQLite by rebuilding the table, then installing its trigger again."""
    name = op.f("ck_refunds_refund_reason")
    check = "reason IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(name, "refunds", type_="check")
        op.create_check_constraint(name, "refunds", check)
        return
    with op.batch_alter_table("refunds", recreate="always") as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.create_check_constraint(name, sa.text(check))
    # The rebuild dropped it with the old table (IF EXISTS: belt and braces).
    op.execute("DROP TRIGGER IF EXISTS refunds_count_into_orders")
    op.execute(SQLITE_TRIGGER)


def upgrade() -> None:
    op.create_index("ix_orders_campaign_id_id", "orders", ["campaign_id", "id"])
    _refund_reasons((*REASONS, "goodwill"))


def downgrade() -> None:
    op.execute("UPDATE refunds SET reason = 'after_sale_other' WHERE reason = 'goodwill'")
    _refund_reasons(REASONS)
    op.drop_index("ix_orders_campaign_id_id", table_name="orders")
