-- orderCreate on PostgreSQL: tuangou_place_order, the whole of an order's
-- database work in one call (fulfilment/orders/placing_postgres.py calls it),
-- and its helper tuangou_order_by_key, as the migrations leave them at head.
--
-- Migrations never run this file: they install frozen copies of their own
-- (0010 created both functions, 0011 set plan_cache_mode, 0012 moved the
-- reservations before the lines, 0032 refused withdrawn items, 0036 items
-- outside their own sale window). To change the function, change this file
-- AND add a migration that installs the new text as a frozen copy of its own,
-- followed by the ALTER FUNCTION at the end of this file.
-- tests/fulfilment/orders/test_place_order_sql.py fails while the two disagree.
--
-- SQLite runs the same rules as Python (fulfilment/orders/placing_sqlite.py),
-- one function per "-- section:" below, with the same names in the same
-- order but for one: PostgreSQL reserves before the lines (0012, for its row
-- locks), SQLite after them, where the order of the writes changes nothing.
--
-- Why each step is where it is:
-- - the key is claimed with INSERT ... ON CONFLICT DO NOTHING before the
--   limits and the reservations, so a concurrent twin waits on our row and
--   replays it;
-- - each statement of a VOLATILE PL/pgSQL function takes a new snapshot under
--   READ COMMITTED, so the replay after a conflict sees the twin's committed
--   row;
-- - the customer's row is locked FOR NO KEY UPDATE (the order row's foreign
--   key holds KEY SHARE on it) so one customer's limited orders take turns;
-- - items are reserved in id order, after the customer's row: those rows are
--   what every order contends for, locked from their UPDATE to the commit,
--   and always in the same order so concurrent orders queue instead of
--   deadlocking;
-- - items are reserved before the lines are inserted (0012): each line's
--   foreign key locks its item row FOR KEY SHARE, and once the order has
--   updated that row the lock lands on the order's own new version instead of
--   a row other orders are updating (which made a MultiXact every locker had
--   to copy and extend).
--
-- A broken rule raises SQLSTATE TG001 with a JSON message naming the rule,
-- the line and the figures; the statement is then undone whole, and Python
-- turns the message into the same DomainError the SQLite path raises.


-- The order a caller placed with a key before, if any; the same key with a
-- different request is refused. (0010, unchanged since.)
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
$fn$;


-- Place one order: replayed is true when the key was used before, and placed
-- is then that earlier order. (0010; 0012 moved the reservations.)
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
$fn$;


-- Generic plans for every statement of the call, the nested
-- tuangou_order_by_key included (0011). CREATE OR REPLACE resets a function's
-- settings, so every migration that installs the function repeats this.
ALTER FUNCTION tuangou_place_order(
    bigint, bigint, bigint, bigint[], integer[], varchar, varchar, varchar,
    timestamptz, timestamptz
) SET plan_cache_mode = force_generic_plan;
