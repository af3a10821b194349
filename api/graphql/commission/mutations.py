"""Commission mutations: rates, levels, recruiters and settlement runs
(operators); payout requests (leaders) and their review, batches and
marking them paid, or sending them by WeChat Pay transfer (operators)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.commission.ledger_types import PayoutBatchType, PayoutType
from api.graphql.commission.types import CategoryRateType, LeaderLevelType, ProductRateType
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.jobs.mutations import JobStartPayload, queue_in_transaction, start_job
from api.graphql.leaders.mutations import LeaderPayload
from api.graphql.leaders.types import LeaderType
from api.graphql.transactions import in_transaction
from fulfilment.campaigns.models import Product
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.jobs.models import Job
from kernel.jobs.service import enqueue
from leaders.commission import payouts, recruiting, transfers
from leaders.commission import rates as commission_rates
from leaders.commission.jobs import LEVELS, SETTLE, settlement_payload
from leaders.commission.models import CategoryRate, LeaderLevel, Payout, PayoutBatch, ProductRate
from leaders.commission.queries import leader_id_of_user
from leaders.commission.settlement import check_settleable, latest_closed_period
from leaders.commission.transfer_jobs import TRANSFER, transfer_key


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

    async def payload(session: AsyncSession) -> dict[str, Any]:
        now = utcnow()
        period_end = input.period_end or latest_closed_period(now, settings)
        await check_settleable(session, period_end, now, settings)
        return settlement_payload(settings, period_end, operator.id)

    # No job key: settling a period twice changes nothing anyway, and a run
    # that failed can simply be started again.
    return await start_job(info, SETTLE, payload)


@strawberry.input
class PayoutRequestInput:
    amount_fen: int = strawberry.field(description="Taken from the balance, the fee included.")
    idempotency_key: str = strawberry.field(
        description="Retrying with the same key returns the first request."
    )


@strawberry.input
class PayoutIdInput:
    id: strawberry.ID


@strawberry.input
class PayoutRejectInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class PayoutPayload:
    payout: PayoutType | None
    user_errors: list[UserError]


@strawberry.type
class PayoutBatchPayload:
    batch: PayoutBatchType | None
    user_errors: list[UserError]


def payout_payload(payout: Payout | None, errors: list[UserError]) -> PayoutPayload:
    """A payout mutation's answer."""
    return PayoutPayload(payout=PayoutType.of(payout) if payout else None, user_errors=errors)


async def payout_request(info: Info, input: PayoutRequestInput) -> PayoutPayload:
    viewer = info.context.require(Role.LEADER)
    settings = info.context.settings

    async def work(session: AsyncSession) -> Payout:
        leader_id = await leader_id_of_user(session, viewer.id)
        if leader_id is None:
            raise NotFound("Leader")
        return await payouts.request_payout(
            session, leader_id, input.amount_fen, input.idempotency_key, utcnow(), settings
        )

    return payout_payload(*await in_transaction(info.context, work))


Decision = Callable[[AsyncSession, int], Awaitable[Payout]]


async def _decide(info: Info, raw_id: str, decide: Decision) -> PayoutPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Payout:
        return await decide(session, decode(raw_id, "Payout", ["id"]))

    return payout_payload(*await in_transaction(info.context, work))


async def payout_approve(info: Info, input: PayoutIdInput) -> PayoutPayload:
    operator = info.context.require(Role.OPERATOR)
    return await _decide(
        info,
        input.id,
        lambda session, payout_id: payouts.approve_payout(session, payout_id, operator, utcnow()),
    )


async def payout_reject(info: Info, input: PayoutRejectInput) -> PayoutPayload:
    operator = info.context.require(Role.OPERATOR)
    return await _decide(
        info,
        input.id,
        lambda session, payout_id: payouts.reject_payout(
            session, payout_id, operator, input.reason, utcnow()
        ),
    )


def _batch(batch: PayoutBatch | None, errors: list[UserError]) -> PayoutBatchPayload:
    return PayoutBatchPayload(
        batch=PayoutBatchType.of(batch) if batch else None, user_errors=errors
    )


async def payout_batch_export(info: Info) -> PayoutBatchPayload:
    """Gather the approved payouts into a batch; download its CSV from
    ``batch.downloadUrl``."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> PayoutBatch:
        return await payouts.export_batch(session, operator, utcnow())

    return _batch(*await in_transaction(info.context, work))


async def payout_batch_mark_paid(info: Info, input: PayoutIdInput) -> PayoutBatchPayload:
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> PayoutBatch:
        return await payouts.mark_batch_paid(
            session, decode(input.id, "PayoutBatch", ["id"]), operator, utcnow()
        )

    return _batch(*await in_transaction(info.context, work))


@strawberry.input
class PayoutBatchSendInput:
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="An exported batch; null: a new batch of every approved payout.",
    )


async def payout_batch_send(info: Info, input: PayoutBatchSendInput) -> PayoutBatchPayload:
    """Send a batch by WeChat Pay's transfer to balance (商家转账到零钱)
    instead of the bank file: a job sends it and follows each transfer;
    its payouts turn PAID, or FAILED with WeChat Pay's reason and their
    money back in the balance. Sending a batch again changes nothing."""
    operator = info.context.require(Role.OPERATOR)
    settings = info.context.settings
    appid = settings.wechatpay_appid if settings.wechatpay_mchid else ""

    async def work(session: AsyncSession) -> tuple[PayoutBatch, Job]:
        batch_id = decode(input.id, "PayoutBatch", ["id"]) if input.id is not None else None
        batch = await transfers.send_by_transfer(session, batch_id, operator, appid, utcnow())
        job, _ = await enqueue(
            session,
            TRANSFER,
            {"batch_id": batch.id},
            key=transfer_key(batch.id),
            created_by_id=operator.id,
        )
        return batch, job

    return _batch(*await queue_in_transaction(info, work))
