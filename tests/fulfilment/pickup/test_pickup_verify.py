"""Pickup verification: at the verifier's own point only, once per order
(a second time says so), after the goods arrived, with wrong codes
rate-limited per verifier; commission accrued once per line on its net."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fulfilment.orders.models import PickupMethod
from fulfilment.orders.pickup_codes import qr_payload
from fulfilment.pickup.errors import PickupErrorCode
from fulfilment.pickup.jobs import AUTO_COMPLETE, complete_uncollected
from fulfilment.pickup.recording import (
    auto_complete_pickups,
    record_leaders_pickups,
    record_pickups,
)
from fulfilment.pickup.verification import Verified, WrongCode
from kernel.db import unit_of_work
from kernel.errors import CommonErrorCode, DomainError
from kernel.jobs.registry import JobContext, handler_for, periodic_kinds
from tests.support.pickup import (
    accruals,
    code_of,
    counter_day,
    helper_of,
    line_of,
    move_day,
    rows,
    rules,
    signed_with_missing,
    verify,
)
from tests.support.routing import A_PRICE, B_PRICE, store_plan


async def refused(work) -> object:
    with pytest.raises(DomainError) as caught:
        await work
    return caught.value.code


async def pickups(db) -> list[tuple[int, str]]:
    return await rows(db, "SELECT order_id, method FROM order_pickups ORDER BY order_id")


async def test_a_code_at_its_own_point_hands_the_order_out_and_accrues_its_lines(db):
    counter = await counter_day(db)
    alice = counter.orders["alice"]
    result = await verify(
        db, counter.shop.leader_user, counter.at(15), code=await code_of(db, alice)
    )
    assert isinstance(result, Verified) and not result.already_picked_up
    assert result.pickup.order.id == alice
    handed = sorted((line.product_id, p.quantity, p.net_fen) for p, line in result.pickup.lines)
    a, b = counter.day.product_a, counter.day.product_b
    assert handed == [(a, 3, 3 * A_PRICE), (b, 1, B_PRICE)]
    assert await pickups(db) == [(alice, "code")]
    # 10 % by default, on each line's net amount, once per line.
    assert await accruals(db) == [
        (await line_of(db, alice, a), 3 * A_PRICE, 297),
        (await line_of(db, alice, b), B_PRICE, 35),
    ]


async def test_verifying_twice_changes_nothing_and_says_when_it_was_collected(db):
    counter = await counter_day(db)
    code = await code_of(db, counter.orders["alice"])
    first = await verify(db, counter.shop.leader_user, counter.at(15), code=code)
    again = await verify(db, counter.shop.leader_user, counter.at(17), code=code)
    assert isinstance(first, Verified) and isinstance(again, Verified)
    assert again.already_picked_up
    assert again.pickup.pickup.picked_up_at == first.pickup.pickup.picked_up_at
    assert len(await pickups(db)) == 1
    assert len(await accruals(db)) == 2
    assert await db.scalar("SELECT count(*) FROM pickup_lines") == 2


async def test_the_qr_payload_works_like_the_code_and_a_forged_one_does_not(db):
    counter = await counter_day(db)
    bob = counter.orders["bob"]
    number = await db.scalar("SELECT number FROM orders WHERE id = :o", o=bob)
    code = await code_of(db, bob)
    forged = qr_payload("not-the-secret", number, code)
    wrong = await verify(db, counter.shop.leader_user, counter.at(), qr_payload=forged)
    assert isinstance(wrong, WrongCode) and wrong.error.code is CommonErrorCode.NOT_FOUND
    genuine = qr_payload(db.settings.pickup_qr_secret, number, code)
    result = await verify(db, counter.shop.leader_user, counter.at(), qr_payload=genuine)
    assert isinstance(result, Verified) and result.pickup.order.id == bob
    assert await pickups(db) == [(bob, "qr")]


async def test_a_code_of_another_point_reads_exactly_like_a_missing_one(db):
    counter = await counter_day(db)
    carols = await code_of(db, counter.orders["carol"])  # point 2's order
    taken = {await code_of(db, o) for o in counter.orders.values()}
    unused = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)
    leader = counter.shop.leader_user
    elsewhere = await verify(db, leader, counter.at(), code=carols)
    missing = await verify(db, leader, counter.at(), code=unused)
    assert isinstance(elsewhere, WrongCode) and isinstance(missing, WrongCode)
    assert (elsewhere.error.code, elsewhere.error.message, elsewhere.error.field) == (
        missing.error.code,
        missing.error.message,
        missing.error.field,
    )
    assert elsewhere.error.code is CommonErrorCode.NOT_FOUND
    assert await pickups(db) == []
    # Carol's own leader finds it.
    assert isinstance(await verify(db, counter.day.leader2, counter.at(), code=carols), Verified)


async def test_ten_wrong_codes_lock_the_verifier_out_even_for_the_right_code(db):
    counter = await counter_day(db)
    leader = counter.shop.leader_user
    right = await code_of(db, counter.orders["alice"])
    taken = {await code_of(db, o) for o in counter.orders.values()}
    guesses = (f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)
    start = counter.at(15)
    left = []
    for minute in range(10):
        wrong = await verify(db, leader, start + timedelta(minutes=minute), code=next(guesses))
        assert isinstance(wrong, WrongCode)
        left.append(wrong.attempts_left)
    assert left == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    # Brute force stops here: the right code is refused as well, and the
    # refused attempts change nothing.
    locked_at = start + timedelta(minutes=10)
    for code in (right, next(guesses)):
        assert (
            await refused(verify(db, leader, locked_at, code=code))
            is PickupErrorCode.TOO_MANY_ATTEMPTS
        )
    assert await db.scalar("SELECT count(*) FROM pickup_failed_attempts") == 10
    assert await pickups(db) == []
    # The lockout runs 15 minutes from the last wrong code; another verifier
    # of the point was never locked.
    helper = await helper_of(db, leader, approve=True, operator=counter.shop.operator)
    assert isinstance(await verify(db, helper, locked_at, code=right), Verified)
    still = start + timedelta(minutes=9 + 14)
    assert await refused(verify(db, leader, still, code=right)) is PickupErrorCode.TOO_MANY_ATTEMPTS
    free = start + timedelta(minutes=9 + 15, seconds=1)
    bobs = await code_of(db, counter.orders["bob"])
    assert isinstance(await verify(db, leader, free, code=bobs), Verified)


async def test_wrong_codes_spread_out_never_lock_anyone_out(db):
    counter = await counter_day(db)
    leader = counter.shop.leader_user
    taken = {await code_of(db, o) for o in counter.orders.values()}
    guesses = (f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)
    for n in range(12):
        # One every two minutes: at most 8 within any 15 minutes.
        wrong = await verify(
            db, leader, counter.at(15) + timedelta(minutes=2 * n), code=next(guesses)
        )
        assert isinstance(wrong, WrongCode)


async def test_malformed_codes_are_refused_without_counting(db):
    counter = await counter_day(db)
    for code in ("12345", "1234567", "abcdef", "１２３４５６"):
        assert (
            await refused(verify(db, counter.shop.leader_user, counter.at(), code=code))
            is CommonErrorCode.INVALID
        )
    assert await refused(verify(db, counter.shop.leader_user, counter.at())) is (
        CommonErrorCode.REQUIRED
    )
    assert await db.scalar("SELECT count(*) FROM pickup_failed_attempts") == 0


async def test_only_the_leader_and_approved_helpers_of_the_point_verify(db):
    counter = await counter_day(db)
    shop = counter.shop
    code = await code_of(db, counter.orders["alice"])
    pending = await helper_of(db, shop.leader_user, approve=False, operator=shop.operator)
    assert (
        await refused(verify(db, pending, counter.at(), code=code))
        is PickupErrorCode.NOT_A_VERIFIER
    )
    # A customer who is nobody's helper, and another point's approved helper.
    assert (
        await refused(verify(db, counter.day.alice, counter.at(), code=code))
        is PickupErrorCode.NOT_A_VERIFIER
    )
    other = await helper_of(db, counter.day.leader2, approve=True, operator=shop.operator)
    assert isinstance(await verify(db, other, counter.at(), code=code), WrongCode)
    assert await pickups(db) == []
    helper = await helper_of(db, shop.leader_user, approve=True, operator=shop.operator)
    done = await verify(db, helper, counter.at(), code=code)
    assert isinstance(done, Verified)
    assert done.pickup.pickup.verified_by_id == helper.id


async def test_goods_are_handed_out_from_the_delivery_date_and_after_signing(db):
    counter = await counter_day(db)
    leader = counter.shop.leader_user
    code = await code_of(db, counter.orders["alice"])
    the_day_before = counter.at(20, days=-1)
    assert await refused(verify(db, leader, the_day_before, code=code)) is (
        PickupErrorCode.NOT_ARRIVED
    )
    # Named with its date, a code of a later day is found but not yet due.
    assert (
        await refused(
            verify(db, leader, the_day_before, code=code, delivery_date=counter.shop.delivery_date)
        )
        is PickupErrorCode.NOT_ARRIVED
    )
    await store_plan(
        db,
        counter.shop.warehouse_id,
        counter.shop.delivery_date,
        [[counter.shop.pickup_point_id]],
    )
    # A published plan serves the point: its leader signs for the goods first.
    assert await refused(verify(db, leader, counter.at(), code=code)) is (
        PickupErrorCode.NOT_ARRIVED
    )
    assert await pickups(db) == []


async def test_units_refunded_before_pickup_are_neither_handed_out_nor_accrued(db):
    counter = await counter_day(db)
    # Three units of A missing: bob's two (paid last) and one of alice's.
    await signed_with_missing(counter, db, 3)
    leader = counter.shop.leader_user
    alice, bob = counter.orders["alice"], counter.orders["bob"]
    done = await verify(db, leader, counter.at(), code=await code_of(db, alice))
    assert isinstance(done, Verified)
    a, b = counter.day.product_a, counter.day.product_b
    assert sorted((line.product_id, p.quantity, p.net_fen) for p, line in done.pickup.lines) == [
        (a, 2, 2 * A_PRICE),
        (b, 1, B_PRICE),
    ]
    assert await accruals(db) == [
        (await line_of(db, alice, a), 2 * A_PRICE, 198),
        (await line_of(db, alice, b), B_PRICE, 35),
    ]
    assert (
        await refused(verify(db, leader, counter.at(), code=await code_of(db, bob)))
        is PickupErrorCode.NOTHING_TO_PICK_UP
    )


async def test_many_points_queues_are_recorded_at_once_each_by_its_leader(db):
    counter = await counter_day(db)
    everyone = [counter.orders[n] for n in ("alice", "bob", "carol", "dora")]
    async with unit_of_work(db.sessions) as session:
        # Alice one by one, as verify_pickup records her; the rest together.
        alone = await record_pickups(
            session,
            everyone[:1],
            method=PickupMethod.CODE,
            verified_by_id=counter.shop.leader_user.id,
            now=counter.at(15),
        )
        together = await record_leaders_pickups(
            session, everyone, method=PickupMethod.CODE, now=counter.at(17)
        )
    assert alone == everyone[:1]
    assert sorted(together) == everyone[1:]  # alice was collected already
    leaders = await rows(
        db,
        "SELECT o.order_id, o.method, o.verified_by_id = l.user_id FROM order_pickups o "
        "JOIN pickup_points p ON p.id = o.pickup_point_id "
        "JOIN leaders l ON l.id = p.leader_id ORDER BY o.order_id",
    )
    assert leaders == [(o, "code", True) for o in everyone]
    assert await db.scalar("SELECT count(*) FROM pickup_lines") == 5
    # Each line accrued once, on its net: alice's two, one each for the rest.
    a, b = counter.day.product_a, counter.day.product_b
    bob, carol, dora = everyone[1:]
    assert await accruals(db) == sorted(
        [
            (await line_of(db, everyone[0], a), 3 * A_PRICE, 297),
            (await line_of(db, everyone[0], b), B_PRICE, 35),
            (await line_of(db, bob, a), 2 * A_PRICE, 198),
            (await line_of(db, carol, a), 4 * A_PRICE, 396),
            (await line_of(db, dora, b), B_PRICE, 35),
        ]
    )
    async with unit_of_work(db.sessions) as session:
        again = await record_leaders_pickups(
            session, everyone, method=PickupMethod.CODE, now=counter.at(18)
        )
    assert again == []
    assert len(await accruals(db)) == 5


async def test_uncollected_orders_are_completed_after_the_configured_days(db):
    counter = await counter_day(db)
    alice = counter.orders["alice"]
    await verify(db, counter.shop.leader_user, counter.at(), code=await code_of(db, alice))
    three_days_on = counter.at(23, days=2)
    async with unit_of_work(db.sessions) as session:
        assert await auto_complete_pickups(session, three_days_on, rules(db)) == 0
    async with unit_of_work(db.sessions) as session:
        done = await auto_complete_pickups(session, counter.at(0, days=3), rules(db))
    # Bob at the shop's point, carol and dora at the others; alice was collected.
    assert done == 3
    assert await pickups(db) == [
        (alice, "code"),
        *sorted((counter.orders[n], "auto") for n in ("bob", "carol", "dora")),
    ]
    assert len(await accruals(db)) == 5  # alice's 2 lines and one line each
    async with unit_of_work(db.sessions) as session:
        assert await auto_complete_pickups(session, counter.at(0, days=9), rules(db)) == 0
    assert len(await accruals(db)) == 5
    shorter = rules(db, pickup_auto_complete_days=1)
    assert shorter.auto_complete_days == 1


async def test_auto_completion_waits_for_a_published_delivery_to_be_signed(db):
    counter = await counter_day(db)
    await store_plan(
        db, counter.shop.warehouse_id, counter.shop.delivery_date, [[counter.shop.pickup_point_id]]
    )
    async with unit_of_work(db.sessions) as session:
        done = await auto_complete_pickups(session, counter.at(0, days=3), rules(db))
    # Alice and bob wait for their leader's signature; carol and dora do not.
    assert done == 2
    assert {o for o, _ in await pickups(db)} == {counter.orders["carol"], counter.orders["dora"]}


async def test_the_auto_complete_job_is_periodic_and_completes_overdue_orders(db):
    assert AUTO_COMPLETE in periodic_kinds()
    assert handler_for(AUTO_COMPLETE) is complete_uncollected
    counter = await counter_day(db)
    await move_day(db, counter, -2)
    result = await complete_uncollected(JobContext(job_id=0, sessions=db.sessions), {})
    assert result == {"completed": 0}
    await move_day(db, counter, -3)
    result = await complete_uncollected(JobContext(job_id=0, sessions=db.sessions), {})
    assert result == {"completed": 4}
    assert {m for _, m in await pickups(db)} == {PickupMethod.AUTO.value}
    assert len(await accruals(db)) == 5


@pytest.mark.postgres_only
async def test_concurrent_verifications_and_completion_collect_and_accrue_once(pg):
    counter = await counter_day(pg)
    shop = counter.shop
    helpers = [
        await helper_of(pg, shop.leader_user, approve=True, operator=shop.operator)
        for _ in range(3)
    ]
    code = await code_of(pg, counter.orders["alice"])

    async def complete() -> int:
        async with unit_of_work(pg.sessions) as session:
            return await auto_complete_pickups(session, counter.at(0, days=3), rules(pg))

    outcomes = await asyncio.gather(
        *(verify(pg, who, counter.at(), code=code) for who in [shop.leader_user, *helpers] * 3),
        complete(),
        complete(),
    )
    verified = [o for o in outcomes if isinstance(o, Verified)]
    assert len(verified) == 12
    # At most one verification collected; the others said it was done.
    assert sum(not o.already_picked_up for o in verified) <= 1
    alice = counter.orders["alice"]
    assert await pg.scalar("SELECT count(*) FROM order_pickups WHERE order_id = :o", o=alice) == 1
    assert await pg.scalar("SELECT count(*) FROM pickup_lines") == 5
    # Each line accrued exactly once, whoever got there first.
    lines = [line for line, _, _ in await accruals(pg)]
    assert len(lines) == len(set(lines)) == 5
