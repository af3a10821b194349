"""Operators' commission mutations: rates, levels, recruiters, and starting
settlement and level jobs."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.ids import decode
from api.mutations.base import in_transaction
from api.mutations.jobs import JobStartPayload, start_job
from api.mutations.leaders import LeaderPayload
from api.types.commission import CategoryRateType, LeaderLevelType, ProductRateType
from api.types.leaders import LeaderType
from fulfilment.campaigns.models import Product
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import CommonErrorCode, DomainError, NotFound
from leaders.commission import rates as commission_rates
from leaders.commission import recruiting
from leaders.commission.jobs import LEVELS, SETTLE, settlement_payload
from leaders.commission.models import CategoryRate, LeaderLevel, ProductRate
from leaders.commission.settlement import check_period, latest_closed_period


@strawberry.input
class CommissionRateSetInput:
    category: str | None = strawberry.field(default=None, description="A product category…")
    product_id: strawberry.ID | None = strawberry.field(default=None, description="…or a product.")
    rate_bps: int | None = strawberry.field(
        description="Basis points (1000 = 10 %); null removes the rate (the category's, "
        "or the default, applies)."
    )


@strawberry.type
class CommissionRateSetPayload:
    category_rate: CategoryRateType | None
    product_rate: ProductRateType | None
    user_errors: list[UserError]


async def commission_rate_set(
    info: Info, input: CommissionRateSetInput
) -> CommissionRateSetPayload:
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> CategoryRate | ProductRate | None:
        now = utcnow()
        if (input.category is None) == (input.product_id is None):
            raise DomainError(
                CommonErrorCode.INVALID, "Name either a category or a product.", ["category"]
            )
        if input.category is not None:
            return await commission_rates.set_category_rate(
                session, input.category, input.rate_bps, operator, now
            )
        assert input.product_id is not None
        product_id = decode(input.product_id, "Product", ["productId"])
        if await session.get(Product, product_id) is None:
            raise NotFound("Product", ["productId"])
        return await commission_rates.set_product_rate(
            session, product_id, input.rate_bps, operator, now
        )

    rate, errors = await in_transaction(info.context, work)
    return CommissionRateSetPayload(
        category_rate=CategoryRateType.of(rate) if isinstance(rate, CategoryRate) else None,
        product_rate=ProductRateType.of(rate) if isinstance(rate, ProductRate) else None,
        user_errors=errors,
    )


@strawberry.input
class LeaderLevelSetInput:
    code: str = strawberry.field(description="Creates the level, or changes the one with it.")
    name: str
    min_monthly_sales_fen: int
    bonus_bps: int


@strawberry.type
class LeaderLevelSetPayload:
    level: LeaderLevelType | None
    user_errors: list[UserError]


async def leader_level_set(info: Info, input: LeaderLevelSetInput) -> LeaderLevelSetPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> LeaderLevel:
        return await commission_rates.set_level(
            session,
            code=input.code,
            name=input.name,
            min_monthly_sales_fen=input.min_monthly_sales_fen,
            bonus_bps=input.bonus_bps,
            now=utcnow(),
        )

    level, errors = await in_transaction(info.context, work)
    return LeaderLevelSetPayload(
        level=LeaderLevelType.of(level) if level else None, user_errors=errors
    )


@strawberry.input
class LeaderLevelsComputeInput:
    month: date | None = strawberry.field(
        default=None, description="Any day of the month measured (default: last month)."
    )


async def leader_levels_compute(info: Info, input: LeaderLevelsComputeInput) -> JobStartPayload:
    info.context.require(Role.OPERATOR)
    settings = info.context.settings

    async def payload(_: AsyncSession) -> dict[str, Any]:
        return {
            "month": input.month.isoformat() if input.month else None,
            "settings": {"timezone": settings.timezone},
        }

    return await start_job(info, LEVELS, payload)


@strawberry.input
class LeaderRecruiterSetInput:
    id: strawberry.ID = strawberry.field(description="The recruit.")
    recruiter_id: strawberry.ID


async def leader_recruiter_set(info: Info, input: LeaderRecruiterSetInput) -> LeaderPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Any:
        return await recruiting.set_recruiter(
            session,
            decode(input.id, "Leader", ["id"]),
            decode(input.recruiter_id, "Leader", ["recruiterId"]),
        )

    leader, errors = await in_transaction(info.context, work)
    return LeaderPayload(leader=LeaderType.of(leader) if leader else None, user_errors=errors)


@strawberry.input
class SettlementRunInput:
    period_end: date | None = strawberry.field(
        default=None,
        description="The period's (exclusive) end; default: the newest period whose "
        "after-sale window has closed.",
    )


async def settlement_run(info: Info, input: SettlementRunInput) -> JobStartPayload:
    operator = info.context.require(Role.OPERATOR)
    settings = info.context.settings

    async def payload(_: AsyncSession) -> dict[str, Any]:
        now = utcnow()
        period_end = input.period_end or latest_closed_period(now, settings)
        check_period(period_end, now, settings)
        return settlement_payload(settings, period_end, operator.id)

    # No job key: settling a period twice changes nothing anyway, and a run
    # that failed can simply be started again.
    return await start_job(info, SETTLE, payload)
