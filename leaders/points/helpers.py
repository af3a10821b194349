"""Pickup helpers (帮手): people a leader asks to hand goods out at their
pickup point. The leader registers a helper by phone or account; an operator
approves; only then may the helper verify pickup codes, and only at that
point. A person helps at one pickup point at a time.

A helper is a customer account: helpers are usually family or shop staff who
also order through the platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import Role, User
from kernel.db import keyset_page
from kernel.errors import DomainError, NotFound
from kernel.validation import clean_phone, clean_text
from leaders.points.errors import PickupHelperErrorCode
from leaders.points.models import (
    Leader,
    LeaderStatus,
    PickupHelper,
    PickupHelperStatus,
    PickupPoint,
)

# Each helper brings their own allowance of wrong codes (see the pickup rate
# limit); a small team keeps what a point can try in a day small too.
MAX_HELPERS = 5


# Goods already delivered to a suspended leader's point are still handed out.
LEADERS_WHO_HAND_OUT = (LeaderStatus.APPROVED, LeaderStatus.SUSPENDED)


ACTIVE = (PickupHelperStatus.PENDING, PickupHelperStatus.APPROVED)


async def _own_point(session: AsyncSession, leader_user_id: int) -> PickupPoint:
    point = (
        await session.execute(
            select(PickupPoint)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .where(Leader.user_id == leader_user_id, Leader.status == LeaderStatus.APPROVED)
        )
    ).scalar_one_or_none()
    if point is None:
        raise NotFound("Pickup point")
    return point


async def _helper_user(session: AsyncSession, phone: str | None, user_id: int | None) -> User:
    if (phone is None) == (user_id is None):
        raise DomainError(
            PickupHelperErrorCode.NOT_A_CUSTOMER, "Give the helper's phone or user ID.", ["phone"]
        )
    if phone is not None:
        field = ["phone"]
        number = clean_phone(phone, field)
        user = (
            await session.execute(select(User).where(User.phone == number))
        ).scalar_one_or_none()
    else:
        field = ["userId"]
        user = await session.get(User, user_id)
    if user is None or user.disabled_at is not None:
        raise NotFound("User", field)
    if user.role is not Role.CUSTOMER:
        raise DomainError(
            PickupHelperErrorCode.NOT_A_CUSTOMER,
            "Helpers use a customer account; this one is not.",
            field,
        )
    return user


async def add_helper(
    session: AsyncSession,
    leader_user_id: int,
    *,
    phone: str | None = None,
    user_id: int | None = None,
    now: datetime,
) -> PickupHelper:
    """The leader signed in as ``leader_user_id`` registers a helper (by
    phone or account) at their pickup point; the helper waits for an
    operator's approval. Registering a pending or approved helper of the
    same point again changes nothing."""
    point = await _own_point(session, leader_user_id)
    # Serialises registrations at one point, so the team size holds.
    await session.execute(
        select(PickupPoint.id).where(PickupPoint.id == point.id).with_for_update()
    )
    user = await _helper_user(session, phone, user_id)
    helper = (
        await session.execute(
            select(PickupHelper).where(PickupHelper.user_id == user.id).with_for_update()
        )
    ).scalar_one_or_none()
    if helper is not None and helper.status in ACTIVE:
        if helper.pickup_point_id == point.id:
            return helper
        raise DomainError(
            PickupHelperErrorCode.HELPER_ELSEWHERE,
            "This person already helps at another pickup point.",
            ["phone" if phone is not None else "userId"],
        )
    team = (
        await session.execute(
            select(func.count())
            .select_from(PickupHelper)
            .where(PickupHelper.pickup_point_id == point.id, PickupHelper.status.in_(ACTIVE))
        )
    ).scalar_one()
    if team >= MAX_HELPERS:
        raise DomainError(
            PickupHelperErrorCode.TOO_MANY_HELPERS,
            f"A pickup point has at most {MAX_HELPERS} helpers; remove one first.",
        )
    if helper is None:
        helper = PickupHelper(user_id=user.id)
        session.add(helper)
    helper.pickup_point_id = point.id
    helper.status = PickupHelperStatus.PENDING
    helper.added_by_id = leader_user_id
    helper.added_at = now
    helper.decided_by_id = helper.decided_at = helper.status_reason = None
    await session.flush()
    return helper


async def _pending(session: AsyncSession, helper_id: int) -> PickupHelper:
    helper = await session.get(PickupHelper, helper_id, with_for_update=True)
    if helper is None:
        raise NotFound("Pickup helper", ["id"])
    if helper.status is not PickupHelperStatus.PENDING:
        raise DomainError(
            PickupHelperErrorCode.HELPER_NOT_PENDING,
            f"Only a pending helper can be decided; this one is {helper.status.value}.",
            ["id"],
        )
    return helper


async def approve_helper(
    session: AsyncSession, helper_id: int, operator_id: int, now: datetime
) -> PickupHelper:
    """An operator approves a pending helper, who may verify codes from now on."""
    helper = await _pending(session, helper_id)
    helper.status = PickupHelperStatus.APPROVED
    helper.decided_by_id, helper.decided_at = operator_id, now
    await session.flush()
    return helper


async def reject_helper(
    session: AsyncSession, helper_id: int, operator_id: int, reason: str, now: datetime
) -> PickupHelper:
    """An operator turns a pending helper down, saying why."""
    reason = clean_text(reason, ["reason"], max_len=500)
    helper = await _pending(session, helper_id)
    helper.status = PickupHelperStatus.REJECTED
    helper.decided_by_id, helper.decided_at, helper.status_reason = operator_id, now, reason
    await session.flush()
    return helper


async def remove_helper(
    session: AsyncSession, helper_id: int, leader_user_id: int, now: datetime
) -> PickupHelper:
    """The leader ends a helper's registration at their point (at once)."""
    point = await _own_point(session, leader_user_id)
    helper = await session.get(PickupHelper, helper_id, with_for_update=True)
    if helper is None or helper.pickup_point_id != point.id:
        raise NotFound("Pickup helper", ["id"])
    if helper.status in ACTIVE:
        helper.status = PickupHelperStatus.REMOVED
        helper.decided_by_id, helper.decided_at = leader_user_id, now
    await session.flush()
    return helper


async def verifier_point(session: AsyncSession, user_id: int) -> int | None:
    """The pickup point where ``user_id`` may verify codes: their own as its
    leader, or the one they are an approved helper of; None otherwise."""
    own = (
        await session.execute(
            select(PickupPoint.id)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .where(Leader.user_id == user_id, Leader.status.in_(LEADERS_WHO_HAND_OUT))
        )
    ).scalar_one_or_none()
    if own is not None:
        return own
    return (
        await session.execute(
            select(PickupHelper.pickup_point_id)
            .join(PickupPoint, PickupPoint.id == PickupHelper.pickup_point_id)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .where(
                PickupHelper.user_id == user_id,
                PickupHelper.status == PickupHelperStatus.APPROVED,
                Leader.status.in_(LEADERS_WHO_HAND_OUT),
            )
        )
    ).scalar_one_or_none()


async def list_helpers(
    session: AsyncSession,
    *,
    pickup_point_id: int | None = None,
    status: PickupHelperStatus | None = None,
    after_id: int | None,
    limit: int,
) -> Sequence[PickupHelper]:
    """Helpers in id order (keyset pagination), narrowed by the filters given."""
    stmt = select(PickupHelper)
    if pickup_point_id is not None:
        stmt = stmt.where(PickupHelper.pickup_point_id == pickup_point_id)
    if status is not None:
        stmt = stmt.where(PickupHelper.status == status)
    return (
        (await session.execute(keyset_page(stmt, PickupHelper.id, after_id, limit))).scalars().all()
    )
