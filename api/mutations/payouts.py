"""Payout mutations: a leader requests; operators approve, reject, export a
batch and mark it paid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.ids import decode
from api.mutations.base import in_transaction
from api.types.commission import PayoutBatchType, PayoutType
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import NotFound
from leaders.commission import payouts
from leaders.commission.models import Payout, PayoutBatch
from leaders.commission.queries import leader_id_of_user


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


def _payload(payout: Payout | None, errors: list[UserError]) -> PayoutPayload:
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

    return _payload(*await in_transaction(info.context, work))


Decision = Callable[[AsyncSession, int], Awaitable[Payout]]


async def _decide(info: Info, raw_id: str, decide: Decision) -> PayoutPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Payout:
        return await decide(session, decode(raw_id, "Payout", ["id"]))

    return _payload(*await in_transaction(info.context, work))


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
