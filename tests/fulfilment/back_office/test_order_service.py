"""The back office's order service in the domain: search by each key,
an order's timeline over a whole day, and goodwill compensation within the
operator's limit and what was paid. Both databases (the ``db`` fixture)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fulfilment.back_office.timeline import EventKind, order_timeline, public
from fulfilment.orders.compensation import compensate
from fulfilment.orders.models import OrderStatus, Refund, RefundReason, RefundState
from fulfilment.orders.search import search_orders
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from tests.conftest import TestDB
from tests.support.pickup import Counter, code_of, counter_day, signed_with_missing, verify
from tests.support.routing import A_PRICE

PHONE = "13912345678"


async def _search(db: TestDB, **given: object) -> list[int]:
    async with db.sessions() as session:
        found = await search_orders(session, before_id=None, limit=50, **given)  # type: ignore[arg-type]
        return [o.id for o in found]


async def test_search_finds_orders_by_each_key_newest_first(db: TestDB) -> None:
    counter = await counter_day(db)
    alice, bob, carol = (counter.orders[n] for n in ("alice", "bob", "carol"))
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET phone = :p WHERE id = :u"),
            {"p": PHONE, "u": counter.day.alice.id},
        )
    number = await db.scalar("SELECT number FROM orders WHERE id = :o", o=bob)
    assert await _search(db, number=number) == [bob]
    # Typed the ways people type it: +86, spaces, dashes.
    assert await _search(db, customer_phone="+86 139-1234-5678") == [alice]
    assert await _search(db, customer_phone="13800000000") == []
    shop = counter.shop
    assert await _search(db, pickup_point_id=shop.pickup_point_id) == sorted(
        [alice, bob], reverse=True
    )
    everyone = sorted(counter.orders.values(), reverse=True)
    assert await _search(db, delivery_date=shop.delivery_date) == everyone
    assert await _search(db, delivery_date=shop.delivery_date.replace(year=2001)) == []
    assert await _search(db, pickup_point_id=counter.day.point2, status=OrderStatus.PAID) == [carol]
    # Paged downward by id.
    async with db.sessions() as session:
        page = await search_orders(session, before_id=everyone[1], limit=50)
    assert [o.id for o in page] == everyone[2:]


async def test_a_malformed_phone_is_invalid_phone(db: TestDB) -> None:
    await counter_day(db)
    for typed in ("12345", "not a phone", "+1 202 555 0100"):
        with pytest.raises(DomainError) as refused:
            await _search(db, customer_phone=typed)
        assert refused.value.code.value == "INVALID_PHONE", typed


async def _full_day(db: TestDB) -> Counter:
    """Alice's day: paid, one unit of A missing on delivery (after bob's
    two), signed for, collected."""
    counter = await counter_day(db)
    await signed_with_missing(counter, db, 3)
    code = await code_of(db, counter.orders["alice"])
    await verify(db, counter.shop.leader_user, counter.at(), code=code)
    return counter


async def test_a_full_days_timeline_lists_its_events_in_order(db: TestDB) -> None:
    counter = await _full_day(db)
    alice = counter.orders["alice"]
    async with db.sessions() as session:
        events = await order_timeline(session, alice)
    kinds = [e.kind for e in events]
    assert kinds[0] is EventKind.PLACED
    assert [e.at for e in events] == sorted(e.at for e in events)
    for kind in (
        EventKind.PAID,
        EventKind.ARRIVED,
        EventKind.SIGNED,
        EventKind.SHORTAGE,
        EventKind.REFUND,
        EventKind.PICKED_UP,
        EventKind.COMMISSION,
    ):
        assert kind in kinds, kind
    # The story's order: paid before the goods arrived, signed before the
    # shortage was refunded, collected after the signature.
    assert kinds.index(EventKind.PAID) < kinds.index(EventKind.ARRIVED)
    assert kinds.index(EventKind.ARRIVED) <= kinds.index(EventKind.SIGNED)
    assert kinds.index(EventKind.SIGNED) < kinds.index(EventKind.PICKED_UP)
    [refund] = [e for e in events if e.kind is EventKind.REFUND]
    assert refund.amount_fen == A_PRICE and "delivery_missing" in refund.detail
    signed = next(e for e in events if e.kind is EventKind.SIGNED)
    assert signed.actor_id == counter.shop.leader_user.id
    # The customer's view: no ledger, no staff named.
    seen = public(events)
    assert EventKind.COMMISSION not in {e.kind for e in seen}
    assert all(e.actor_id is None for e in seen)


async def _compensate(
    db: TestDB, counter: Counter, order: str, fen: int, limit: int = 5000
) -> Refund:
    async with unit_of_work(db.sessions) as session:
        return await compensate(
            session,
            counter.orders[order],
            fen,
            "  late delivery  ",
            counter.shop.operator,
            utcnow(),
            limit_fen=limit,
        )


async def test_compensation_is_a_pending_goodwill_refund_within_the_limit(db: TestDB) -> None:
    counter = await counter_day(db)
    refund = await _compensate(db, counter, "alice", 300, limit=500)
    assert (refund.reason, refund.state, refund.amount_fen) == (
        RefundReason.GOODWILL,
        RefundState.PENDING,
        300,
    )
    assert refund.created_by_id == counter.shop.operator.id
    alice = counter.orders["alice"]
    assert await db.scalar("SELECT refunded_fen FROM orders WHERE id = :o", o=alice) == 300
    # The limit counts the order's earlier goodwill: 201 more is one too many.
    with pytest.raises(DomainError) as refused:
        await _compensate(db, counter, "alice", 201, limit=500)
    assert (refused.value.code.value, refused.value.remaining) == ("COMPENSATION_OVER_LIMIT", 200)
    assert await db.scalar("SELECT count(*) FROM refunds WHERE order_id = :o", o=alice) == 1
    await _compensate(db, counter, "alice", 200, limit=500)


async def test_compensation_refuses_bad_input_and_more_than_was_paid(db: TestDB) -> None:
    counter = await counter_day(db)
    bob = counter.orders["bob"]
    paid = int(await db.scalar("SELECT paid_fen FROM orders WHERE id = :o", o=bob))
    cases = [(0, "INVALID"), (-5, "INVALID"), (paid + 1, "REFUND_EXCEEDS_PAID")]
    for fen, code in cases:
        with pytest.raises(DomainError) as refused:
            await _compensate(db, counter, "bob", fen, limit=10 * paid)
        assert refused.value.code.value == code, fen
    with pytest.raises(DomainError) as blank:
        async with unit_of_work(db.sessions) as session:
            await compensate(
                session, bob, 100, "   ", counter.shop.operator, utcnow(), limit_fen=500
            )
    assert blank.value.code.value == "REASON_REQUIRED"
    assert await db.scalar("SELECT count(*) FROM refunds WHERE order_id = :o", o=bob) == 0
    # All of it, as goodwill: nothing left to collect, the order reads REFUNDED.
    await _compensate(db, counter, "bob", paid, limit=paid)
    assert await db.scalar("SELECT status FROM orders WHERE id = :o", o=bob) == "refunded"
