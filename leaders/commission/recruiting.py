"""Recruiting (推荐团长): an operator records which leader brought in another.

The recruiter earns a share of the recruit's net sales for a number of days
after the recruit's first approval (see leaders.commission.accrual). One level only,
deliberately: multi-level schemes are unlawful in China, so nothing here or
in accrual ever looks at the recruiter's own recruiter. An operator sets the
recruiter (from the applicant's word or the recruiter's share code), once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError, NotFound
from leaders.commission.errors import CommissionErrorCode
from leaders.points.models import Leader, LeaderStatus


async def set_recruiter(session: AsyncSession, recruit_id: int, recruiter_id: int) -> Leader:
    """Record that ``recruiter_id`` recruited ``recruit_id``."""
    recruit = (
        await session.execute(select(Leader).where(Leader.id == recruit_id).with_for_update())
    ).scalar_one_or_none()
    if recruit is None:
        raise NotFound("Leader", ["id"])
    recruiter = await session.get(Leader, recruiter_id)
    if recruiter is None:
        raise NotFound("Leader", ["recruiterId"])
    if recruit.recruited_by_id is not None:
        raise DomainError(
            CommissionErrorCode.RECRUITER_ALREADY_SET,
            "This leader's recruiter is already recorded.",
            ["id"],
        )
    if recruiter.id == recruit.id or recruiter.recruited_by_id == recruit.id:
        raise DomainError(
            CommissionErrorCode.INVALID_RECRUITER,
            "A leader cannot recruit themselves or the leader who recruited them.",
            ["recruiterId"],
        )
    if recruiter.status not in (LeaderStatus.APPROVED, LeaderStatus.SUSPENDED):
        raise DomainError(
            CommissionErrorCode.INVALID_RECRUITER,
            "Only an approved leader can be a recruiter.",
            ["recruiterId"],
        )
    recruit.recruited_by_id = recruiter.id
    await session.flush()
    return recruit
