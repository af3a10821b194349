"""catalog campaigns orders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "accepted",
                "duplicate",
                "rejected",
                name="payment_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notifications")),
    )
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_notifications_order_number"), ["order_number"], unique=False
        )

    op.create_table(
        "suppliers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("name", name=op.f("uq_suppliers_name")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("volume_ml", sa.Integer(), nullable=False),
        sa.Column("case_pack", sa.Integer(), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column(
            "storage_zone",
            sa.Enum(
                "ambient",
                "chilled",
                "frozen",
                name="storage_zone",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("case_pack >= 1", name=op.f("ck_products_case_pack_positive")),
        sa.CheckConstraint(
            "cost_fen >= 0 AND weight_g >= 0 AND volume_ml >= 0",
            name=op.f("ck_products_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_products_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "supplier_members",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_members_supplier_id_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_supplier_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_supplier_members")),
    )
    with op.batch_alter_table("supplier_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_members_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "campaigns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pickup_start", sa.Time(), nullable=False),
        sa.Column("pickup_end", sa.Time(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("opens_at < cutoff_at", name=op.f("ck_campaigns_open_before_cutoff")),
        sa.CheckConstraint(
            "pickup_start < pickup_end", name=op.f("ck_campaigns_pickup_window_order")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_campaigns_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint(
            "warehouse_id", "delivery_date", name=op.f("uq_campaigns_warehouse_id_delivery_date")
        ),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "campaign_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("group_price_fen", sa.Integer(), nullable=False),
        sa.Column("list_price_fen", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("group_threshold", sa.Integer(), nullable=True),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.CheckConstraint("cap IS NULL OR cap > 0", name=op.f("ck_campaign_items_cap_positive")),
        sa.CheckConstraint(
            "group_price_fen > 0 AND list_price_fen >= group_price_fen",
            name=op.f("ck_campaign_items_prices"),
        ),
        sa.CheckConstraint(
            "group_threshold IS NULL OR group_threshold > 0",
            name=op.f("ck_campaign_items_threshold_positive"),
        ),
        sa.CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0",
            name=op.f("ck_campaign_items_limit_positive"),
        ),
        sa.CheckConstraint(
            "reserved >= 0 AND (cap IS NULL OR reserved <= cap)",
            name=op.f("ck_campaign_items_within_cap"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_items_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_campaign_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_items")),
        sa.UniqueConstraint(
            "campaign_id", "product_id", name=op.f("uq_campaign_items_campaign_id_product_id")
        ),
    )
    with op.batch_alter_table("campaign_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_items_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_items_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "customer_bindings",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "pickup_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_customer_bindings_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_customer_bindings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_customer_bindings")),
    )
    with op.batch_alter_table("customer_bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_bindings_pickup_point_id"), ["pickup_point_id"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "pickup_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "placed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending_payment",
                "paid",
                "cancelled",
                "expired",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("total_fen >= 0", name=op.f("ck_orders_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_orders_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_orders_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_orders_leader_id_leaders")
        ),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_orders_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["users.id"], name=op.f("fk_orders_placed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        sa.UniqueConstraint(
            "payment_transaction_id", name=op.f("uq_orders_payment_transaction_id")
        ),
        sa.UniqueConstraint(
            "placed_by_id", "idempotency_key", name=op.f("uq_orders_placed_by_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index(
            "ix_orders_pickup_point_campaign", ["pickup_point_id", "campaign_id"], unique=False
        )
        batch_op.create_index("ix_orders_status_expires_at", ["status", "expires_at"], unique=False)

    op.create_table(
        "service_areas",
        sa.Column(
            "pickup_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_service_areas_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_service_areas_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("pickup_point_id", name=op.f("pk_service_areas")),
    )
    with op.batch_alter_table("service_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_areas_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_fen", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "amount_fen = quantity * unit_price_fen", name=op.f("ck_order_lines_amount_exact")
        ),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price_fen > 0", name=op.f("ck_order_lines_positive")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_item_id"],
            ["campaign_items.id"],
            name=op.f("fk_order_lines_campaign_item_id_campaign_items"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint(
            "order_id", "campaign_item_id", name=op.f("uq_order_lines_order_id_campaign_item_id")
        ),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_lines_campaign_item_id"), ["campaign_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "customer_cancelled",
                "operator_cancelled",
                "paid_after_close",
                "double_payment",
                name="refund_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_refunds_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_refunds_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_refunds_order_line_id_order_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)

    with op.batch_alter_table("pickup_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_code", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_pickup_points_share_code"), ["share_code"])

    # Leaders approved before share codes existed get one now.
    bind = op.get_bind()
    points = (
        bind.execute(
            sa.text(
                "SELECT p.id FROM pickup_points p JOIN leaders l ON l.id = p.leader_id "
                "WHERE p.share_code IS NULL AND l.status IN ('approved', 'suspended')"
            )
        )
        .scalars()
        .all()
    )
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    for point_id in points:
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        bind.execute(
            sa.text("UPDATE pickup_points SET share_code = :c WHERE id = :i"),
            {"c": code, "i": point_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("pickup_points", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_pickup_points_share_code"), type_="unique")
        batch_op.drop_column("share_code")

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_campaign_item_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("service_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_areas_warehouse_id"))

    op.drop_table("service_areas")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_expires_at")
        batch_op.drop_index("ix_orders_pickup_point_campaign")
        batch_op.drop_index(batch_op.f("ix_orders_leader_id"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("customer_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_bindings_pickup_point_id"))

    op.drop_table("customer_bindings")
    with op.batch_alter_table("campaign_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_items_product_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_items_campaign_id"))

    op.drop_table("campaign_items")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_warehouse_id"))

    op.drop_table("campaigns")
    with op.batch_alter_table("supplier_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_members_supplier_id"))

    op.drop_table("supplier_members")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_products_category"))

    op.drop_table("products")
    op.drop_table("suppliers")
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notifications_order_number"))

    op.drop_table("payment_notifications")
