"""Pickup helpers: a leader registers customers as helpers, an operator
approves or rejects, the leader may remove them; one point per helper, a
small team per point, and only approved helpers verify."""

from __future__ import annotations

import pytest

from fulfilment.pickup.errors import PickupErrorCode
from fulfilment.pickup.verification import Verified
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import CommonErrorCode, DomainError
from leaders.points.errors import PickupHelperErrorCode
from leaders.points.helpers import (
    MAX_HELPERS,
    add_helper,
    approve_helper,
    reject_helper,
    remove_helper,
    verifier_point,
)
from leaders.points.models import PickupHelperStatus
from tests.support.factories import approved_pickup_point, open_shop
from tests.support.pickup import code_of, counter_day, verify


async def refused(work) -> object:
    with pytest.raises(DomainError) as caught:
        await work
    return caught.value.code


async def add(db, leader_id: int, user_id: int):
    async with unit_of_work(db.sessions) as session:
        return await add_helper(session, leader_id, user_id=user_id, now=utcnow())


async def test_registration_waits_for_approval_and_is_idempotent(db):
    shop = await open_shop(db)
    helper, _ = await db.user(Role.CUSTOMER)
    first = await add(db, shop.leader_user.id, helper.id)
    again = await add(db, shop.leader_user.id, helper.id)
    assert first.id == again.id and again.status is PickupHelperStatus.PENDING
    async with unit_of_work(db.sessions) as session:
        assert await verifier_point(session, helper.id) is None
        await approve_helper(session, first.id, shop.operator.id, utcnow())
    async with unit_of_work(db.sessions) as session:
        assert await verifier_point(session, helper.id) == shop.pickup_point_id
        assert await verifier_point(session, shop.leader_user.id) == shop.pickup_point_id


async def test_only_customers_who_help_nowhere_else_and_a_small_team(db):
    shop = await open_shop(db)
    leader = shop.leader_user.id
    operator, _ = await db.user(Role.OPERATOR)
    assert await refused(add(db, leader, operator.id)) is PickupHelperErrorCode.NOT_A_CUSTOMER
    _, other_leader, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    helper, _ = await db.user(Role.CUSTOMER)
    await add(db, leader, helper.id)
    assert (
        await refused(add(db, other_leader.id, helper.id)) is PickupHelperErrorCode.HELPER_ELSEWHERE
    )
    for _ in range(MAX_HELPERS - 1):
        await add(db, leader, (await db.user(Role.CUSTOMER))[0].id)
    extra, _ = await db.user(Role.CUSTOMER)
    assert await refused(add(db, leader, extra.id)) is PickupHelperErrorCode.TOO_MANY_HELPERS
    # A customer cannot register helpers; an unknown phone is not found.
    assert await refused(add(db, helper.id, extra.id)) is CommonErrorCode.NOT_FOUND
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as caught:
            await add_helper(session, leader, phone="13700000000", now=utcnow())
    assert (caught.value.code, caught.value.field) == (CommonErrorCode.NOT_FOUND, ["phone"])


async def test_rejected_and_removed_helpers_stop_verifying_and_may_be_added_again(db):
    counter = await counter_day(db)
    shop = counter.shop
    code = await code_of(db, counter.orders["alice"])
    helper, _ = await db.user(Role.CUSTOMER)
    added = await add(db, shop.leader_user.id, helper.id)
    async with unit_of_work(db.sessions) as session:
        rejected = await reject_helper(session, added.id, shop.operator.id, "不认识", utcnow())
    assert (rejected.status, rejected.status_reason) == (PickupHelperStatus.REJECTED, "不认识")
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as caught:
            await approve_helper(session, added.id, shop.operator.id, utcnow())
    assert caught.value.code is PickupHelperErrorCode.HELPER_NOT_PENDING
    assert (
        await refused(verify(db, helper, counter.at(), code=code)) is PickupErrorCode.NOT_A_VERIFIER
    )
    again = await add(db, shop.leader_user.id, helper.id)
    assert again.id == added.id and again.status is PickupHelperStatus.PENDING
    async with unit_of_work(db.sessions) as session:
        await approve_helper(session, again.id, shop.operator.id, utcnow())
    # Another leader cannot remove them; their own leader can, at once.
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as caught:
            await remove_helper(session, again.id, counter.day.leader2.id, utcnow())
    assert caught.value.code is CommonErrorCode.NOT_FOUND
    async with unit_of_work(db.sessions) as session:
        removed = await remove_helper(session, again.id, shop.leader_user.id, utcnow())
    assert removed.status is PickupHelperStatus.REMOVED
    assert (
        await refused(verify(db, helper, counter.at(), code=code)) is PickupErrorCode.NOT_A_VERIFIER
    )
    assert isinstance(await verify(db, shop.leader_user, counter.at(), code=code), Verified)
