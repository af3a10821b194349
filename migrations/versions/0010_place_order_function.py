"""place order function

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 02:10:00

PostgreSQL only: ``tuangou_place_order``, the whole of orderCreate's
database work in one statement (fulfilment/orders/placing.py calls it). The
evening rush is bound by round trips and per-statement overhead in Python, not
by PostgreSQL: one call instead of about a dozen statements lets two API
processes place several times more orders a second. SQLite runs the same rules
as plain SQL from Python (fulfilment/orders/placing_sqlite.py); the order
tests run both.

A broken rule raises SQLSTATE TG001 with a JSON message naming the rule, the
line and the figures; the statement is then undone whole, and Python turns
the message into the same DomainError the SQLite path raises.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Why each step is where it is (the Python path follows the same order):
# - the key is claimed with INSERT … ON CONFLICT DO NOTHING before the limits
#   and the reservations, so a concurrent twin waits on our row and replays it;
# - each statement of a VOLATILE PL/pgSQL function takes a new snapshot under
#   READ COMMITTED, so the replay after a conflict sees the twin's committed row;
# - the customer's row is locked FOR NO KEY UPDATE (the order row's foreign key
#   holds KEY SHARE on it) so one customer's limited orders take turns;
# - items are reserved last and in id order: those rows are what every order
#   contends for, locked from their UPDATE to the commit, and always in the
#   same order so concurrent orders queue instead of deadlocking.
# The order a caller placed with a key before, if any; the same key with a
# different request is refused.
ORDER_BY_KEY = """
CREATE OR REPLACE FUNCTION tuangou_order_by_key(
    p_placed_by_id bigint, p_key varchar, p_hash varchar
) RETURNS orders LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    found_order orders%ROWTYPE;
BEGIN
    SELECT * INTO found_order FROM orders
    WHERE placed_by_id = p_placed_by_id AND idempotency_key = p_key;
    IF FOUND AND found_order.request_hash <> p_hash THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'IDEMPOTENCY_CONFLICT')::text;
    END IF;
    RETURN found_order;
END
$fn$
"""

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
    v_order_id bigint;
    v_line record;
    v_left integer;
BEGIN
    placed := tuangou_order_by_key(p_placed_by_id, p_key, p_hash);
    IF placed.id IS NOT NULL THEN
        replayed := true;
        RETURN;
    END IF;

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

    SELECT min(u.ord) INTO v_missing
    FROM unnest(p_item_ids) WITH ORDINALITY AS u(item, ord)
    WHERE NOT EXISTS (SELECT 1 FROM campaign_items ci WHERE ci.id = u.item);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'ITEM_NOT_FOUND', 'line', v_missing - 1)::text;
    END IF;
    SELECT count(DISTINCT ci.campaign_id) INTO v_campaigns
    FROM campaign_items ci WHERE ci.id = ANY (p_item_ids);
    IF v_campaigns > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'MIXED_CAMPAIGNS')::text;
    END IF;
    SELECT c.* INTO v_campaign FROM campaigns c
    WHERE c.id = (SELECT ci.campaign_id FROM campaign_items ci WHERE ci.id = p_item_ids[1]);
    IF p_now < v_campaign.opens_at OR p_now >= v_campaign.cutoff_at THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'CAMPAIGN_CLOSED')::text;
    END IF;
    IF v_campaign.warehouse_id IS DISTINCT FROM v_warehouse_id THEN
        RAISE EXCEPTION USING ERRCODE = 'TG001',
            MESSAGE = json_build_object('code', 'PICKUP_POINT_NOT_SERVED')::text;
    END IF;

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
    replayed := false;
END
$fn$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ORDER_BY_KEY)
        op.execute(PLACE_ORDER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS tuangou_place_order("
            "bigint, bigint, bigint, bigint[], integer[], varchar, varchar, varchar, "
            "timestamptz, timestamptz)"
        )
        op.execute("DROP FUNCTION IF EXISTS tuangou_order_by_key(bigint, varchar, varchar)")
