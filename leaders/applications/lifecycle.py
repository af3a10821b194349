"""Becoming a leader: apply with a pickup point, then the operator's decisions.

pending ──approve──▶ approved ──suspend──▶ suspended
   │                    ▲                      │
   └─reject─▶ rejected  └──────reinstate───────┘
                │
                └─(apply again)─▶ pending
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.errors import DomainError, NotFound
from kernel.geo import LatLon
from kernel.notifications import Gateway, notify
from kernel.validation import clean_phone, clean_text
from leaders.applications.errors import LeaderErrorCode
from leaders.points.customers import new_share_code
from leaders.points.models import Leader, LeaderStatus, PickupPoint

APPROVED_KIND = "leader.approved"


@dataclass(frozen=True)
class PickupPointDraft:
    """What an applicant tells us about the pickup point (coordinates already WGS-84)."""

    name: str
    address: str
    location: LatLon
    window_start: time
    window_end: time
    contact_phone: str


def _check_draft(draft: PickupPointDraft) -> PickupPointDraft:
    name = clean_text(
        draft.name, ["pickupPoint", "name"], max_len=100, code=LeaderErrorCode.INVALID_NAME
    )
    address = clean_text(draft.address, ["pickupPoint", "address"], max_len=300)
    phone = clean_phone(
        draft.contact_phone, ["pickupPoint", "contactPhone"], code=LeaderErrorCode.INVALID_PHONE
    )
    if draft.window_start >= draft.window_end:
        raise DomainError(
            LeaderErrorCode.INVALID_WINDOW,
            "The receiving window must start before it ends (for example 07:00–11:00).",
            ["pickupPoint", "receivingWindow"],
        )
    return PickupPointDraft(
        name, address, draft.location, draft.window_start, draft.window_end, phone
    )


async def apply(session: AsyncSession, applicant: User, draft: PickupPointDraft) -> Leader:
    """A customer applies to lead a pickup point; a rejected applicant may
    apply again, which reopens the same application."""
    if applicant.role is not Role.CUSTOMER:
        raise DomainError(
            LeaderErrorCode.NOT_A_CUSTOMER, "Only a customer account can apply to become a leader."
        )
    draft = _check_draft(draft)
    leader = (
        await session.execute(select(Leader).where(Leader.user_id == applicant.id))
    ).scalar_one_or_none()
    if leader is not None and leader.status is not LeaderStatus.REJECTED:
        raise DomainError(
            LeaderErrorCode.ALREADY_APPLIED,
            f"This account already has a {leader.status.value} application.",
        )
    if leader is None:
        leader = Leader(user_id=applicant.id, status=LeaderStatus.PENDING)
        session.add(leader)
        await session.flush()
        point = PickupPoint(leader_id=leader.id)
        session.add(point)
    else:
        leader.status = LeaderStatus.PENDING
        leader.status_reason = None
        leader.applied_at = utcnow()
        point = (
            await session.execute(select(PickupPoint).where(PickupPoint.leader_id == leader.id))
        ).scalar_one()
    point.name = draft.name
    point.address = draft.address
    point.lat = draft.location.lat
    point.lon = draft.location.lon
    point.window_start = draft.window_start
    point.window_end = draft.window_end
    point.contact_phone = draft.contact_phone
    await session.flush()
    return leader


async def _transition(
    session: AsyncSession,
    leader_id: int,
    operator: User,
    allowed_from: LeaderStatus,
    to: LeaderStatus,
    reason: str | None = None,
) -> Leader:
    # Row lock on PostgreSQL: two operators deciding at once cannot both win.
    leader = (
        await session.execute(select(Leader).where(Leader.id == leader_id).with_for_update())
    ).scalar_one_or_none()
    if leader is None:
        raise NotFound("Leader", ["id"])
    if leader.status is not allowed_from:
        raise DomainError(
            LeaderErrorCode.INVALID_STATUS,
            f"Only a {allowed_from.value} leader can become {to.value}; "
            f"this one is {leader.status.value}.",
            ["id"],
        )
    leader.status = to
    leader.status_reason = reason
    leader.decided_at = utcnow()
    leader.decided_by_id = operator.id
    await session.flush()
    return leader


def _reason(reason: str) -> str:
    return clean_text(reason, ["reason"], max_len=500, code=LeaderErrorCode.REASON_REQUIRED)


async def approve(
    session: AsyncSession, leader_id: int, operator: User, gateway: Gateway | None = None
) -> Leader:
    """Approve a pending application; the applicant's account becomes a
    leader's, and the applicant is told."""
    leader = await _transition(
        session, leader_id, operator, LeaderStatus.PENDING, LeaderStatus.APPROVED
    )
    user = await session.get(User, leader.user_id)
    assert user is not None  # FK
    user.role = Role.LEADER
    if leader.approved_at is None:
        leader.approved_at = leader.decided_at
    point = (
        await session.execute(select(PickupPoint).where(PickupPoint.leader_id == leader.id))
    ).scalar_one()
    if point.share_code is None:
        point.share_code = new_share_code()
    await session.flush()
    await notify(
        session,
        user_ids=[leader.user_id],
        kind=APPROVED_KIND,
        title="团长申请已通过",
        body=f"恭喜！您的团长申请已通过，自提点「{point.name}」现在可以分享团购链接、接单了。",
        data={"leader_id": leader.id, "pickup_point_id": point.id},
        gateway=gateway,
    )
    return leader


async def reject(session: AsyncSession, leader_id: int, operator: User, reason: str) -> Leader:
    """Turn a pending application down, with the reason the applicant will see."""
    return await _transition(
        session, leader_id, operator, LeaderStatus.PENDING, LeaderStatus.REJECTED, _reason(reason)
    )


async def suspend(session: AsyncSession, leader_id: int, operator: User, reason: str) -> Leader:
    """Stop an approved leader's pickup point from taking orders."""
    return await _transition(
        session, leader_id, operator, LeaderStatus.APPROVED, LeaderStatus.SUSPENDED, _reason(reason)
    )


async def reinstate(session: AsyncSession, leader_id: int, operator: User) -> Leader:
    """Let a suspended leader take orders again."""
    return await _transition(
        session, leader_id, operator, LeaderStatus.SUSPENDED, LeaderStatus.APPROVED
    )
