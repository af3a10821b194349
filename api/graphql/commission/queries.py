"""Query fields of commission: balances, ledger entries, statements and
payouts (a leader their own; operators anyone's), rates and settlements."""

from __future__ import annotations

import strawberry

from api.graphql.commission.ledger_types import (
    LedgerEntryType,
    PayoutBatchType,
    PayoutStatusEnum,
    PayoutType,
    SettlementType,
    StatementType,
)
from api.graphql.commission.types import (
    CategoryRateType,
    CommissionBalance,
    CommissionRates,
    LeaderLevelType,
    ProductRateType,
)
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import decode_argument
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import viewer_leader_id
from kernel.accounts import Role
from leaders.commission import queries as q
from leaders.commission.models import CommissionAccount, LeaderLevel, PayoutStatus


async def _whose(info: Info, leader_id: strawberry.ID | None, *, required: bool) -> int | None:
    """The leader whose money is asked for: a leader always their own; an
    operator the one named (or everyone's, where that makes sense)."""
    viewer = info.context.require(Role.OPERATOR, Role.LEADER)
    if viewer.role is Role.LEADER:
        own = await viewer_leader_id(info)
        if own is None or (leader_id is not None and _decode(leader_id) != own):
            # Another leader's money reads like an empty list.
            return -1
        return own
    if leader_id is None:
        if required:
            raise bad_input("Operators name the leader (leaderId).")
        return None
    return _decode(leader_id)


def _decode(raw: strawberry.ID) -> int:
    return decode_argument(raw, "Leader", ["leaderId"])


@strawberry.type
class CommissionQuery:
    @strawberry.field(
        description="A leader's balances and level: your own, or (operators) the leader named."
    )
    async def commission_balance(
        self, info: Info, leader_id: strawberry.ID | None = None
    ) -> CommissionBalance | None:
        whose = await _whose(info, leader_id, required=True)
        if whose is None or whose < 0:
            return None
        session = info.context.session
        async with info.context.loaders.lock:
            account = await session.get(CommissionAccount, whose)
            level = (
                await session.get(LeaderLevel, account.level_id)
                if account and account.level_id
                else None
            )
        return CommissionBalance.of(account, level, leader_id=whose)

    @strawberry.field(description="Ledger entries in the order they were written.")
    async def ledger_entries(
        self,
        info: Info,
        leader_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LedgerEntryType]:
        whose = await _whose(info, leader_id, required=False)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_entries(
                info.context.session, leader_id=whose, after_id=after_id, limit=limit
            ),
            LedgerEntryType.of,
        )

    @strawberry.field(description="Settlement statements, oldest first.")
    async def statements(
        self,
        info: Info,
        leader_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StatementType]:
        whose = await _whose(info, leader_id, required=False)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_statements(
                info.context.session, leader_id=whose, after_id=after_id, limit=limit
            ),
            StatementType.of,
        )

    @strawberry.field(description="Payout requests, oldest first.")
    async def payouts(
        self,
        info: Info,
        leader_id: strawberry.ID | None = None,
        status: PayoutStatusEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PayoutType]:
        whose = await _whose(info, leader_id, required=False)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_payouts(
                info.context.session,
                leader_id=whose,
                status=PayoutStatus(status) if status else None,
                after_id=after_id,
                limit=limit,
            ),
            PayoutType.of,
        )

    @strawberry.field(description="Exported payout batches (operators).")
    async def payout_batches(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PayoutBatchType]:
        info.context.require(Role.OPERATOR)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_batches(
                info.context.session, after_id=after_id, limit=limit
            ),
            PayoutBatchType.of,
        )

    @strawberry.field(description="Settlement runs, one per period (operators).")
    async def settlements(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SettlementType]:
        info.context.require(Role.OPERATOR)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_settlements(
                info.context.session, after_id=after_id, limit=limit
            ),
            SettlementType.of,
        )

    @strawberry.field(description="Commission rates, recruiting share and levels.")
    async def commission_rates(self, info: Info) -> CommissionRates:
        info.context.require(Role.OPERATOR, Role.LEADER)
        settings = info.context.settings
        session = info.context.session
        async with info.context.loaders.lock:
            categories = await q.category_rates(session)
            products = await q.product_rates(session)
            levels = await q.levels(session)
        return CommissionRates(
            default_rate_bps=settings.commission_default_rate_bps,
            recruit_share_bps=settings.recruit_share_bps,
            recruit_share_days=settings.recruit_share_days,
            categories=[CategoryRateType.of(r) for r in categories],
            products=[ProductRateType.of(r) for r in products],
            levels=[LeaderLevelType.of(level) for level in levels],
        )
