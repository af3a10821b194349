"""Refunds sent to WeChat Pay and tracked; the database caps refunds at what was paid

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

Each refund gains its state at the provider (pending → processing → success,
or abnormal / closed), the payment it returns when not the order's own, and
the sender's bookkeeping. Orders gain what was received (paid_fen) and what
was booked back (refunded_fen, counted by a trigger on refunds: fulfilment/
orders/refund_cap.py) with a CHECK that the second never passes the first.
Existing refunds start pending: none was ever sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# -- count each refund into its order ------------------------------------------

POSTGRES_INSTALL = (
    """
    CREATE FUNCTION refunds_count_into_orders() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orders AS o
           SET refunded_fen = o.refunded_fen + n.fen
          FROM (SELECT order_id, sum(amount_fen) AS fen
                  FROM new_refunds GROUP BY order_id) AS n
         WHERE o.id = n.order_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER refunds_count_into_orders AFTER INSERT ON refunds
    REFERENCING NEW TABLE AS new_refunds
    FOR EACH STATEMENT EXECUTE FUNCTION refunds_count_into_orders()
    """,
)
POSTGRES_REMOVE = (
    "DROP TRIGGER IF EXISTS refunds_count_into_orders ON refunds",
    "DROP FUNCTION IF EXISTS refunds_count_into_orders()",
)

SQLITE_INSTALL = (
    """
    CREATE TRIGGER refunds_count_into_orders AFTER INSERT ON refunds
    BEGIN
        UPDATE orders SET refunded_fen = refunded_fen + NEW.amount_fen
         WHERE id = NEW.order_id;
    END
    """,
)
SQLITE_REMOVE = ("DROP TRIGGER IF EXISTS refunds_count_into_orders",)


def install_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_INSTALL if dialect == "postgresql" else SQLITE_INSTALL


def remove_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_REMOVE if dialect == "postgresql" else SQLITE_REMOVE


STATES = ("pending", "processing", "success", "abnormal", "closed")

# Money received: every accepted notification; an order paid by other means
# before this revision (a seeded day) counts its total.
BACKFILL = (
    """UPDATE orders SET paid_fen = coalesce((
           SELECT sum(n.amount_fen) FROM payment_notifications AS n
            WHERE n.order_number = orders.number AND n.outcome = 'accepted'), 0)""",
    "UPDATE orders SET paid_fen = total_fen WHERE paid_at IS NOT NULL AND paid_fen < total_fen",
    """UPDATE orders SET refunded_fen = coalesce((
           SELECT sum(r.amount_fen) FROM refunds AS r WHERE r.order_id = orders.id), 0)""",
)


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum(
                    *STATES,
                    name="refund_state",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="pending",
            )
        )
        batch_op.add_column(sa.Column("transaction_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("resend_no", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("provider_refund_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("provider_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        for name in ("next_attempt_at", "sent_at", "succeeded_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_refunds_state_next_attempt_at", ["state", "next_attempt_at"])
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("paid_fen", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("refunded_fen", sa.Integer(), nullable=False, server_default="0")
        )
    for statement in BACKFILL:
        op.execute(statement)
    # What the data already holds is kept, whatever it says: the cap binds
    # refunds booked from now on.
    op.execute("UPDATE orders SET paid_fen = refunded_fen WHERE refunded_fen > paid_fen")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_orders_refunds_within_paid"), sa.text("refunded_fen <= paid_fen")
        )
    for statement in install_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in remove_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_refunds_within_paid"), type_="check")
        batch_op.drop_column("refunded_fen")
        batch_op.drop_column("paid_fen")
    with op.batch_alter_table("refunds") as batch_op:
        batch_op.drop_index("ix_refunds_state_next_attempt_at")
        batch_op.drop_constraint(op.f("ck_refunds_refund_state"), type_="check")
        for name in (
            "succeeded_at",
            "sent_at",
            "next_attempt_at",
            "attempts",
            "provider_reason",
            "provider_refund_id",
            "resend_no",
            "transaction_id",
            "state",
        ):
            batch_op.drop_column(name)
