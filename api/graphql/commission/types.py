"""Commission settings and balances as the client sees them: rates, levels and
a leader's balance; and who may see a leader's money."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql.context import Info
from api.graphql.ids import encode
from api.graphql.leaders.types import LeaderType
from leaders.commission.cash import unsettled_cash_fen
from leaders.commission.models import (
    CategoryRate,
    CommissionAccount,
    EntryKind,
    LeaderLevel,
    LedgerAccount,
    ProductRate,
)

EntryKindEnum = strawberry.enum(EntryKind, name="LedgerEntryKind")


LedgerAccountEnum = strawberry.enum(
    LedgerAccount,
    name="LedgerAccount",
    description="PENDING: accrued, not yet settled; AVAILABLE: settled, can be paid out.",
)


async def _leader(info: Info, leader_id: int) -> LeaderType | None:
    found = await LeaderType.resolve_nodes(info=info, node_ids=[str(leader_id)])
    return found[0]


@strawberry.type(name="LeaderLevel")
class LeaderLevelType:
    id: strawberry.ID
    code: str
    name: str
    min_monthly_sales_fen: int = strawberry.field(
        description="Net sales in a month that reach this level for the next month."
    )
    bonus_bps: int = strawberry.field(description="Added to every commission rate.")

    @classmethod
    def of(cls, level: LeaderLevel) -> LeaderLevelType:
        return cls(
            id=strawberry.ID(encode("LeaderLevel", level.id)),
            code=level.code,
            name=level.name,
            min_monthly_sales_fen=level.min_monthly_sales_fen,
            bonus_bps=level.bonus_bps,
        )


@strawberry.type(name="CategoryRate")
class CategoryRateType:
    category: str
    rate_bps: int
    updated_at: datetime

    @classmethod
    def of(cls, rate: CategoryRate) -> CategoryRateType:
        return cls(category=rate.category, rate_bps=rate.rate_bps, updated_at=rate.updated_at)


@strawberry.type(name="ProductRate")
class ProductRateType:
    product_id: strawberry.ID
    rate_bps: int
    updated_at: datetime

    @classmethod
    def of(cls, rate: ProductRate) -> ProductRateType:
        return cls(
            product_id=strawberry.ID(encode("Product", rate.product_id)),
            rate_bps=rate.rate_bps,
            updated_at=rate.updated_at,
        )


@strawberry.type
class CommissionRates:
    default_rate_bps: int = strawberry.field(description="For categories without a rate.")
    recruit_share_bps: int = strawberry.field(
        description="A recruiter's share of a recruit's net sales."
    )
    recruit_share_days: int = strawberry.field(
        description="How long after the recruit's approval the share is earned."
    )
    categories: list[CategoryRateType]
    products: list[ProductRateType]
    levels: list[LeaderLevelType]


@strawberry.type
class CommissionBalance:
    pending_fen: int = strawberry.field(description="Accrued, waiting for settlement.")
    available_fen: int = strawberry.field(
        description="Settled, less payouts: what a payout may take (negative: carried forward)."
    )
    level: LeaderLevelType | None
    level_month: date | None = strawberry.field(
        description="The month whose net sales set the level."
    )
    level_sales_fen: int | None
    leader_id: strawberry.Private[int | None] = None

    @classmethod
    def of(
        cls,
        account: CommissionAccount | None,
        level: LeaderLevel | None,
        leader_id: int | None = None,
    ) -> CommissionBalance:
        if account is None:
            return cls(
                pending_fen=0,
                available_fen=0,
                level=None,
                level_month=None,
                level_sales_fen=None,
                leader_id=leader_id,
            )
        return cls(
            pending_fen=account.pending_fen,
            available_fen=account.available_fen,
            level=LeaderLevelType.of(level) if level else None,
            level_month=account.level_month,
            level_sales_fen=account.level_sales_fen,
            leader_id=account.leader_id,
        )

    @strawberry.field(
        description="Cash you took for orders (代下单), less cash handed back for their "
        "refunds, that no statement has deducted yet: already in pendingFen, and "
        "deducted from the available balance by the next settlement."
    )
    async def cash_held_fen(self, info: Info) -> int:
        if self.leader_id is None:
            return 0
        async with info.context.loaders.lock:
            return await unsettled_cash_fen(info.context.session, self.leader_id)
