"""Items' own sale windows

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-05

An item may sell for part of its campaign only (a 秒杀 from 20:00, a lot
sold until noon): issue 19's rolling campaigns.

- ``campaign_items.sale_starts_at`` and ``sale_ends_at``: the item's own
  window; NULL is the campaign's opening, or its cutoff. The window lies
  inside the campaign's: the domain refuses anything else
  (SALE_WINDOW_OUTSIDE_CAMPAIGN, fulfilment/campaigns/campaigns.py).
- PostgreSQL: ``tuangou_place_order`` refuses an item outside its own window
  (ITEM_NOT_ON_SALE) in the statement that refused withdrawn items. Its text
  below is a frozen copy; the function laid out for reading is
  fulfilment/orders/placing_postgres.sql. SQLite's spelling of the same rule
  is fulfilment/orders/placing_sqlite.py.

Added in place on both databases (nullable columns, no constraint); the
downgrade puts 0032's function back and drops them (in place on SQLite
3.35+).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

SIGNATURE = (
    "tuangou_place_order(bigint, bigint, bigint, bigint[], integer[], varchar, varchar, "
    "varchar, timestamptz, timestamptz)"
)

# The function as of this revision: 0032's, refusing items outside their window.
PLACE_ORDER = """
CREATE OR REPLACE FUNCTION tuangou_place_order(
    p_customer_id bigint,
    p_placed_by_id bigint,
    p_pickup_point_id bigint,
    p_item_ids bigint[],
    p_quantities integer[],
    p_key varchar,
    p_hash varchar,
    p_number varchar,
    p_now timestamptz,
    p_expires_at timestamptz,
    OUT replayed boolean,
    OUT placed orders
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_leader_id bigint;
    v_leader_status text;
    v_warehouse_id bigint;
    v_campaign campaigns%ROWTYPE;
    v_campaigns integer;
    v_missing integer;
    v_withdrawn boolean;
    v_order_id bigint;
    v_line record;
    v_left integer;
BEGIN
    -- section: replay
    -- The caller's earlier order with this key, if any.
    placed := tuangou_order_by_key(p_placed_by_id, p_key, p_hash);
    IF placed.id IS NOT NULL THEN
        replayed := true;
        RETURN;
    END IF;

    -- section: point
    -- The pickup point, its leader (approved) and the warehouse serving it.
    SELECT l.id, l.status, sa.warehouse_id
    INTO v_leader_id, v_leader_status, v_warehouse_id
    FROM pickup_points p
    JOIN leaders l ON l.id = p.leader_id
    LEFT JOIN service_areas sa ON sa.pickup_point_id = p.id
    WHERE p.id = p_pickup_point_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'POINT_NOT_FOUND')::text;
    END IF;
    IF v_leader_status <> 'approved' THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'PICKUP_POINT_INACTIVE')::text;
    END IF;

    -- section: items
    -- Every item exists, all of one campaign, open now and sold from the
    -- warehouse that serves the point.
    SELECT min(u.ord) INTO v_missing
    FROM unnest(p_item_ids) WITH ORDINALITY AS u(item, ord)
    WHERE NOT EXISTS (SELECT 1 FROM campaign_items ci WHERE ci.id = u.item);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object(
                'code', 'ITEM_NOT_FOUND', 'line', v_missing - 1
            )::text;
    END IF;

    SELECT count(DISTINCT ci.campaign_id) INTO v_campaigns
    FROM campaign_items ci WHERE ci.id = ANY (p_item_ids);
    IF v_campaigns > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'MIXED_CAMPAIGNS')::text;
    END IF;

    -- An item withdrawn from the sale (or cancelled below its threshold)
    -- sells no more: refused here, under the item row's lock the withdrawal
    -- took, so no order slips in beside it. An item with a sale window of
    -- its own sells only inside it (0036). The first such line is named,
    -- a withdrawal before a window on the same line.
    SELECT u.ord, ci.cancelled_at IS NOT NULL INTO v_missing, v_withdrawn
    FROM unnest(p_item_ids) WITH ORDINALITY AS u(item, ord)
    JOIN campaign_items ci ON ci.id = u.item
    WHERE ci.cancelled_at IS NOT NULL
       OR p_now < ci.sale_starts_at
       OR p_now >= ci.sale_ends_at
    ORDER BY u.ord
    LIMIT 1;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object(
                'code', CASE WHEN v_withdrawn THEN 'ITEM_WITHDRAWN' ELSE 'ITEM_NOT_ON_SALE' END,
                'line', v_missing - 1
            )::text;
    END IF;

    SELECT c.* INTO v_campaign FROM campaigns c
    WHERE c.id = (
        SELECT ci.campaign_id FROM campaign_items ci WHERE ci.id = p_item_ids[1]
    );
    IF p_now < v_campaign.opens_at OR p_now >= v_campaign.cutoff_at THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'CAMPAIGN_CLOSED')::text;
    END IF;
    IF v_campaign.warehouse_id IS DISTINCT FROM v_warehouse_id THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'PICKUP_POINT_NOT_SERVED')::text;
    END IF;

    -- section: key
    -- Claim the key with the order's row (total 0 until the lines are in).
    -- A twin holding the key makes us wait for its commit, then replay it.
    -- A number another order has raises unique_violation on uq_orders_number:
    -- the caller draws a new number and calls again.
    INSERT INTO orders (
        number, campaign_id, pickup_point_id, leader_id, customer_id, placed_by_id,
        status, total_fen, idempotency_key, request_hash, created_at, expires_at
    ) VALUES (
        p_number, v_campaign.id, p_pickup_point_id, v_leader_id, p_customer_id,
        p_placed_by_id, 'pending_payment', 0, p_key, p_hash, p_now, p_expires_at
    )
    ON CONFLICT (placed_by_id, idempotency_key) DO NOTHING
    RETURNING id INTO v_order_id;
    IF v_order_id IS NULL THEN
        placed := tuangou_order_by_key(p_placed_by_id, p_key, p_hash);
        replayed := true;
        RETURN;
    END IF;

    -- section: limits
    -- Per-customer limits, counted over the customer's orders that hold
    -- units; the customer's row is locked so their orders take turns.
    IF EXISTS (
        SELECT 1 FROM campaign_items
        WHERE id = ANY (p_item_ids) AND per_customer_limit IS NOT NULL
    ) THEN
        PERFORM 1 FROM users WHERE id = p_customer_id FOR NO KEY UPDATE;
        FOR v_line IN
            SELECT u.ord, u.qty, ci.per_customer_limit AS lim,
                   ci.per_customer_limit - coalesce((
                       SELECT sum(ol.quantity) FROM order_lines ol
                       JOIN orders o ON o.id = ol.order_id
                       WHERE o.customer_id = p_customer_id
                         AND o.status IN ('pending_payment', 'paid')
                         AND ol.campaign_item_id = ci.id
                   ), 0) AS allowed
            FROM unnest(p_item_ids, p_quantities) WITH ORDINALITY AS u(item, qty, ord)
            JOIN campaign_items ci ON ci.id = u.item
            WHERE ci.per_customer_limit IS NOT NULL
            ORDER BY u.ord
        LOOP
            IF v_line.qty > v_line.allowed THEN
                RAISE EXCEPTION USING ERRCODE = 'TG001',
                    MESSAGE = json_build_object(
                        'code', 'LIMIT_EXCEEDED', 'line', v_line.ord - 1,
                        'limit', v_line.lim, 'remaining', greatest(v_line.allowed, 0)
                    )::text;
            END IF;
        END LOOP;
    END IF;

    -- section: reservations
    -- Before the lines here, after them on SQLite: 0012 moved them (see the
    -- top of this file). Each item in id order, within its cap.
    FOR v_line IN
        SELECT u.item, u.qty, u.ord
        FROM unnest(p_item_ids, p_quantities) WITH ORDINALITY AS u(item, qty, ord)
        ORDER BY u.item
    LOOP
        UPDATE campaign_items SET reserved = reserved + v_line.qty
        WHERE id = v_line.item AND (cap IS NULL OR reserved + v_line.qty <= cap);
        IF NOT FOUND THEN
            SELECT cap - reserved INTO v_left FROM campaign_items WHERE id = v_line.item;
            RAISE EXCEPTION USING ERRCODE = 'TG001',
                MESSAGE = json_build_object(
                    'code', 'SOLD_OUT', 'line', v_line.ord - 1,
                    'remaining', greatest(coalesce(v_left, 0), 0)
                )::text;
        END IF;
    END LOOP;

    -- section: lines
    -- The lines at the group price, the total summed from them by the
    -- database, and the customer bound to the point.
    INSERT INTO order_lines (
        order_id, campaign_item_id, product_id, quantity, unit_price_fen, amount_fen
    )
    SELECT v_order_id, ci.id, ci.product_id, u.qty, ci.group_price_fen,
           u.qty * ci.group_price_fen
    FROM unnest(p_item_ids, p_quantities) AS u(item, qty)
    JOIN campaign_items ci ON ci.id = u.item;

    UPDATE orders
    SET total_fen = (SELECT sum(amount_fen) FROM order_lines WHERE order_id = v_order_id)
    WHERE id = v_order_id
    RETURNING * INTO placed;

    INSERT INTO customer_bindings (user_id, pickup_point_id, bound_at)
    VALUES (p_customer_id, p_pickup_point_id, p_now)
    ON CONFLICT (user_id) DO UPDATE
    SET pickup_point_id = excluded.pickup_point_id, bound_at = excluded.bound_at
    WHERE customer_bindings.pickup_point_id <> excluded.pickup_point_id;

    replayed := false;
END
$fn$
"""

# 0032's text, for the downgrade.
PLACE_ORDER_0032 = """
CREATE OR REPLACE FUNCTION tuangou_place_order(
    p_customer_id bigint,
    p_placed_by_id bigint,
    p_pickup_point_id bigint,
    p_item_ids bigint[],
    p_quantities integer[],
    p_key varchar,
    p_hash varchar,
    p_number varchar,
    p_now timestamptz,
    p_expires_at timestamptz,
    OUT replayed boolean,
    OUT placed orders
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_leader_id bigint;
    v_leader_status text;
    v_warehouse_id bigint;
    v_campaign campaigns%ROWTYPE;
    v_campaigns integer;
    v_missing integer;
    v_order_id bigint;
    v_line record;
    v_left integer;
BEGIN
    -- section: replay
    -- The caller's earlier order with this key, if any.
    placed := tuangou_order_by_key(p_placed_by_id, p_key, p_hash);
    IF placed.id IS NOT NULL THEN
        replayed := true;
        RETURN;
    END IF;

    -- section: point
    -- The pickup point, its leader (approved) and the warehouse serving it.
    SELECT l.id, l.status, sa.warehouse_id
    INTO v_leader_id, v_leader_status, v_warehouse_id
    FROM pickup_points p
    JOIN leaders l ON l.id = p.leader_id
    LEFT JOIN service_areas sa ON sa.pickup_point_id = p.id
    WHERE p.id = p_pickup_point_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'POINT_NOT_FOUND')::text;
    END IF;
    IF v_leader_status <> 'approved' THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'PICKUP_POINT_INACTIVE')::text;
    END IF;

    -- section: items
    -- Every item exists, all of one campaign, open now and sold from the
    -- warehouse that serves the point.
    SELECT min(u.ord) INTO v_missing
    FROM unnest(p_item_ids) WITH ORDINALITY AS u(item, ord)
    WHERE NOT EXISTS (SELECT 1 FROM campaign_items ci WHERE ci.id = u.item);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object(
                'code', 'ITEM_NOT_FOUND', 'line', v_missing - 1
            )::text;
    END IF;

    SELECT count(DISTINCT ci.campaign_id) INTO v_campaigns
    FROM campaign_items ci WHERE ci.id = ANY (p_item_ids);
    IF v_campaigns > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'MIXED_CAMPAIGNS')::text;
    END IF;

    -- An item withdrawn from the sale (or cancelled below its threshold)
    -- sells no more: refused here, under the item row's lock the withdrawal
    -- took, so no order slips in beside it.
    SELECT min(u.ord) INTO v_missing
    FROM unnest(p_item_ids) WITH ORDINALITY AS u(item, ord)
    JOIN campaign_items ci ON ci.id = u.item
    WHERE ci.cancelled_at IS NOT NULL;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object(
                'code', 'ITEM_WITHDRAWN', 'line', v_missing - 1
            )::text;
    END IF;

    SELECT c.* INTO v_campaign FROM campaigns c
    WHERE c.id = (
        SELECT ci.campaign_id FROM campaign_items ci WHERE ci.id = p_item_ids[1]
    );
    IF p_now < v_campaign.opens_at OR p_now >= v_campaign.cutoff_at THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'CAMPAIGN_CLOSED')::text;
    END IF;
    IF v_campaign.warehouse_id IS DISTINCT FROM v_warehouse_id THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'PICKUP_POINT_NOT_SERVED')::text;
    END IF;

    -- section: key
    -- Claim the key with the order's row (total 0 until the lines are in).
    -- A twin holding the key makes us wait for its commit, then replay it.
    -- A number another order has raises unique_violation on uq_orders_number:
    -- the caller draws a new number and calls again.
    INSERT INTO orders (
        number, campaign_id, pickup_point_id, leader_id, customer_id, placed_by_id,
        status, total_fen, idempotency_key, request_hash, created_at, expires_at
    ) VALUES (
        p_number, v_campaign.id, p_pickup_point_id, v_leader_id, p_customer_id,
        p_placed_by_id, 'pending_payment', 0, p_key, p_hash, p_now, p_expires_at
    )
    ON CONFLICT (placed_by_id, idempotency_key) DO NOTHING
    RETURNING id INTO v_order_id;
    IF v_order_id IS NULL THEN
        placed := tuangou_order_by_key(p_placed_by_id, p_key, p_hash);
        replayed := true;
        RETURN;
    END IF;

    -- section: limits
    -- Per-customer limits, counted over the customer's orders that hold
    -- units; the customer's row is locked so their orders take turns.
    IF EXISTS (
        SELECT 1 FROM campaign_items
        WHERE id = ANY (p_item_ids) AND per_customer_limit IS NOT NULL
    ) THEN
        PERFORM 1 FROM users WHERE id = p_customer_id FOR NO KEY UPDATE;
        FOR v_line IN
            SELECT u.ord, u.qty, ci.per_customer_limit AS lim,
                   ci.per_customer_limit - coalesce((
                       SELECT sum(ol.quantity) FROM order_lines ol
                       JOIN orders o ON o.id = ol.order_id
                       WHERE o.customer_id = p_customer_id
                         AND o.status IN ('pending_payment', 'paid')
                         AND ol.campaign_item_id = ci.id
                   ), 0) AS allowed
            FROM unnest(p_item_ids, p_quantities) WITH ORDINALITY AS u(item, qty, ord)
            JOIN campaign_items ci ON ci.id = u.item
            WHERE ci.per_customer_limit IS NOT NULL
            ORDER BY u.ord
        LOOP
            IF v_line.qty > v_line.allowed THEN
                RAISE EXCEPTION USING ERRCODE = 'TG001',
                    MESSAGE = json_build_object(
                        'code', 'LIMIT_EXCEEDED', 'line', v_line.ord - 1,
                        'limit', v_line.lim, 'remaining', greatest(v_line.allowed, 0)
                    )::text;
            END IF;
        END LOOP;
    END IF;

    -- section: reservations
    -- Before the lines here, after them on SQLite: 0012 moved them (see the
    -- top of this file). Each item in id order, within its cap.
    FOR v_line IN
        SELECT u.item, u.qty, u.ord
        FROM unnest(p_item_ids, p_quantities) WITH ORDINALITY AS u(item, qty, ord)
        ORDER BY u.item
    LOOP
        UPDATE campaign_items SET reserved = reserved + v_line.qty
        WHERE id = v_line.item AND (cap IS NULL OR reserved + v_line.qty <= cap);
        IF NOT FOUND THEN
            SELECT cap - reserved INTO v_left FROM campaign_items WHERE id = v_line.item;
            RAISE EXCEPTION USING ERRCODE = 'TG001',
                MESSAGE = json_build_object(
                    'code', 'SOLD_OUT', 'line', v_line.ord - 1,
                    'remaining', greatest(coalesce(v_left, 0), 0)
                )::text;
        END IF;
    END LOOP;

    -- section: lines
    -- The lines at the group price, the total summed from them by the
    -- database, and the customer bound to the point.
    INSERT INTO order_lines (
        order_id, campaign_item_id, product_id, quantity, unit_price_fen, amount_fen
    )
    SELECT v_order_id, ci.id, ci.product_id, u.qty, ci.group_price_fen,
           u.qty * ci.group_price_fen
    FROM unnest(p_item_ids, p_quantities) AS u(item, qty)
    JOIN campaign_items ci ON ci.id = u.item;

    UPDATE orders
    SET total_fen = (SELECT sum(amount_fen) FROM order_lines WHERE order_id = v_order_id)
    WHERE id = v_order_id
    RETURNING * INTO placed;

    INSERT INTO customer_bindings (user_id, pickup_point_id, bound_at)
    VALUES (p_customer_id, p_pickup_point_id, p_now)
    ON CONFLICT (user_id) DO UPDATE
    SET pickup_point_id = excluded.pickup_point_id, bound_at = excluded.bound_at
    WHERE customer_bindings.pickup_point_id <> excluded.pickup_point_id;

    replayed := false;
END
$fn$
"""


def _install(function: str) -> None:
    op.execute(function)
    # CREATE OR REPLACE resets the function's settings; 0011's comes back.
    op.execute(f"ALTER FUNCTION {SIGNATURE} SET plan_cache_mode = force_generic_plan")


def upgrade() -> None:
    op.add_column("campaign_items", sa.Column("sale_starts_at", sa.DateTime(timezone=True)))
    op.add_column("campaign_items", sa.Column("sale_ends_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "postgresql":
        _install(PLACE_ORDER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _install(PLACE_ORDER_0032)
    op.drop_column("campaign_items", "sale_ends_at")
    op.drop_column("campaign_items", "sale_starts_at")
