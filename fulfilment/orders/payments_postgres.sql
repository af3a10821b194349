-- A payment on PostgreSQL: tuangou_book_payment, the whole of a payment
-- notification's (or a cash payment's) database work in one call
-- (fulfilment/orders/payments_postgres.py calls it), as the migrations leave
-- it at head.
--
-- Migrations never run this file: 0026 installs a frozen copy of its own. To
-- change the function, change this file AND add a migration that installs the
-- new text as a frozen copy of its own, followed by the ALTER FUNCTION at the
-- end of this file. tests/fulfilment/orders/test_book_payment_sql.py fails
-- while the two disagree, and holds the function to the Python rules
-- (payment_rules.py, which SQLite runs): the same outcomes, reasons and rows.
--
-- The rules' home is payment_rules.py; this is their PostgreSQL spelling, one
-- "-- section:" per section of that module, with the same names. The reasons
-- are its texts, word for word: they are stored and answered to WeChat.
--
-- Why it is one function: a notification was seven round trips through an
-- ORM session (BEGIN, the locked facts, three writes, the code, COMMIT), and
-- their client-side work was most of a worker's CPU in the evening rush.
-- Called outside a transaction, the call is a transaction of its own.
--
-- The pickup codes to try are drawn by the caller (pickup_codes.draw_code,
-- the operating system's secure source; PostgreSQL's random() is not one), as
-- many as pickup_codes.MAX_DRAWS, and tried in order until one is free.


CREATE OR REPLACE FUNCTION tuangou_book_payment(
    p_number varchar,
    p_tx varchar,
    p_amount integer,
    p_now timestamptz,
    p_codes varchar[],
    OUT outcome varchar,
    OUT reason text,
    OUT order_id bigint
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_order_id bigint;
    v_outcome varchar;
    v_reason text;
    v_total integer;
    v_status varchar;
    v_paid_by varchar;
    v_point_id bigint;
    v_day date;
    v_paid_another boolean;
    v_accepted_before boolean;
    v_paid_in_cash boolean;
    v_mark_paid varchar;
    v_issue_code boolean := false;
    v_refund varchar;
    v_code varchar;
BEGIN
    -- section: facts
    -- Locked: notifications of one order take turns. After waiting, the lock
    -- re-reads the order's own row (paid_in_cash comes from it for that
    -- reason); the EXISTS keep the statement's snapshot, as in Python.
    SELECT o.id, o.total_fen, o.status, o.payment_transaction_id, o.pickup_point_id,
           c.delivery_date,
           EXISTS (SELECT 1 FROM orders o2
                   WHERE o2.payment_transaction_id = p_tx AND o2.id <> o.id),
           EXISTS (SELECT 1 FROM payment_notifications n
                   WHERE n.order_number = o.number AND n.transaction_id = left(p_tx, 64)
                     AND n.outcome = 'accepted'),
           o.paid_at IS NOT NULL AND o.payment_transaction_id IS NULL
    INTO v_order_id, v_total, v_status, v_paid_by, v_point_id, v_day,
         v_paid_another, v_accepted_before, v_paid_in_cash
    FROM orders o
    JOIN campaigns c ON c.id = o.campaign_id
    WHERE o.number = p_number
    FOR UPDATE OF o;

    -- section: decide
    IF v_order_id IS NULL THEN
        v_outcome := 'rejected';
        v_reason := 'unknown order';
    ELSIF p_amount <> v_total THEN
        v_outcome := 'rejected';
        v_reason := format('amount %s fen does not match the order total %s fen',
                         p_amount, v_total);
    ELSIF p_tx IS NULL THEN
        -- section: decide_cash
        IF v_status = 'pending_payment' AND NOT v_paid_in_cash THEN
            v_outcome := 'accepted';
            v_mark_paid := 'paid';
            v_issue_code := true;
        ELSE
            v_outcome := 'rejected';
            v_reason := format('the order is %s', v_status);
        END IF;
    ELSIF v_paid_another THEN
        v_outcome := 'rejected';
        v_reason := 'transaction already paid another order';
    ELSIF v_paid_by IS NOT DISTINCT FROM p_tx OR v_accepted_before THEN
        v_outcome := 'duplicate';
        v_reason := 'already recorded';
    ELSIF v_paid_by IS NOT NULL OR v_paid_in_cash THEN
        v_outcome := 'accepted';
        v_reason := 'second payment for one order; refunded';
        v_refund := 'double_payment';
    ELSIF v_status = 'pending_payment' THEN
        v_outcome := 'accepted';
        v_mark_paid := 'paid';
        v_issue_code := true;
    ELSE
        v_outcome := 'accepted';
        v_reason := format('paid after the order was %s; refunded', v_status);
        v_mark_paid := v_status;
        v_refund := 'paid_after_close';
    END IF;

    -- section: plan
    -- RECEIVE and MARK_PAID in one UPDATE (one row version, not two): every
    -- accepted payment is money received, whatever becomes of it.
    IF v_outcome = 'accepted' THEN
        UPDATE orders
        SET paid_fen = paid_fen + p_amount,
            status = coalesce(v_mark_paid, status),
            paid_at = CASE WHEN v_mark_paid IS NULL THEN paid_at ELSE p_now END,
            payment_transaction_id = CASE WHEN v_mark_paid IS NULL
                                          THEN payment_transaction_id ELSE p_tx END
        WHERE id = v_order_id;
    END IF;
    IF v_refund IS NOT NULL THEN
        -- This payment goes back, not the order's own; the trigger of
        -- refund_cap.py counts it into refunded_fen.
        INSERT INTO refunds (order_id, amount_fen, reason, created_at, transaction_id,
                             state, resend_no, attempts)
        VALUES (v_order_id, v_total, v_refund, p_now, left(p_tx, 64), 'pending', 0, 0);
        -- MARK_ONE, refunded.py's one rule: a late payment refunded whole reads
        -- REFUNDED; a second payment's refund leaves the order as it was.
        UPDATE orders o SET status = 'refunded'
        WHERE o.id = v_order_id
          AND o.status <> 'refunded'
          AND o.paid_at IS NOT NULL
          AND o.total_fen > 0
          AND (SELECT coalesce(sum(r.amount_fen), 0) FROM refunds r
               WHERE r.order_id = o.id AND r.reason <> 'double_payment') >= o.total_fen;
    END IF;
    -- Every notification is recorded, accepted or not; cash has its own row.
    IF p_tx IS NOT NULL THEN
        INSERT INTO payment_notifications (order_number, transaction_id, amount_fen, outcome,
                                           reason, received_at)
        VALUES (left(p_number, 64), left(p_tx, 64), p_amount, v_outcome, v_reason, p_now);
    END IF;

    outcome := v_outcome;
    reason := v_reason;
    order_id := v_order_id;

    -- section: code
    -- In the same transaction: no paid order is ever without its code. A
    -- taken code (another order of the point and day) is skipped, after
    -- waiting for its transaction, and the next one tried.
    IF v_issue_code THEN
        FOREACH v_code IN ARRAY p_codes LOOP
            INSERT INTO pickup_codes (order_id, pickup_point_id, delivery_date, code,
                                      created_at)
            VALUES (v_order_id, v_point_id, v_day, v_code, p_now)
            ON CONFLICT DO NOTHING;
            IF FOUND THEN
                RETURN;
            END IF;
            -- Or the order got its code meanwhile (it cannot, being locked:
            -- pickup_codes.issue_pickup_code's check, kept for parity).
            IF EXISTS (SELECT 1 FROM pickup_codes pc WHERE pc.order_id = v_order_id) THEN
                RETURN;
            END IF;
        END LOOP;
        RAISE EXCEPTION 'no free pickup code found for order %', v_order_id;
    END IF;
END
$fn$;

ALTER FUNCTION tuangou_book_payment(varchar, varchar, integer, timestamptz, varchar[])
    SET plan_cache_mode = force_generic_plan;
