"""The grid warehouses' fees per piece (网格仓计件费) as the client sees
them: a grid operator its own grid's balance, book, statements and payouts,
and its payout requests; operators any grid's. The book is the ledger's
(leaders/commission/grid_fees.py); approving and paying out is the leaders'
payout flow (payoutApprove, payoutBatchExport, …)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.commission.ledger_types import PayoutType
from api.graphql.commission.mutations import PayoutPayload, PayoutRequestInput, payout_payload
from api.graphql.commission.types import EntryKindEnum, LedgerAccountEnum
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import decode_argument, encode
from api.graphql.pagination import Connection, paginate
from api.graphql.transactions import in_transaction
from fulfilment.network.queries import operated_grid
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import NotFound
from leaders.commission import queries as q
from leaders.commission.grid_fee_models import GridFeeAccount, GridFeeEntry, GridFeeStatement
from leaders.commission.grid_fees import request_grid_payout
from leaders.commission.models import Payout


@strawberry.type(name="GridFeeBalance")
class GridFeeBalanceType:
    grid_id: strawberry.ID
    pending_fen: int = strawberry.field(description="Accrued less reversed, not yet settled.")
    available_fen: int = strawberry.field(
        description="Settled less paid out: what gridPayoutRequest may take."
    )


@strawberry.type(name="GridFeeEntry")
class GridFeeEntryType:
    id: strawberry.ID
    kind: EntryKindEnum  # type: ignore[valid-type]
    account: LedgerAccountEnum  # type: ignore[valid-type]
    amount_fen: int
    balance_after_fen: int
    pieces: int | None = strawberry.field(description="Pieces paid for; negative reversed.")
    piece_fee_fen: int | None = strawberry.field(description="The grid's fee when earned.")
    pickup_point_id: strawberry.ID | None = strawberry.field(
        description="The point whose signature earned it (accruals, reversals)."
    )
    occurred_at: datetime

    @classmethod
    def of(cls, entry: GridFeeEntry) -> GridFeeEntryType:
        point = entry.pickup_point_id
        return cls(
            id=strawberry.ID(encode("GridFeeEntry", entry.id)),
            kind=entry.kind,
            account=entry.account,
            amount_fen=entry.amount_fen,
            balance_after_fen=entry.balance_after_fen,
            pieces=entry.pieces,
            piece_fee_fen=entry.piece_fee_fen,
            pickup_point_id=None if point is None else strawberry.ID(encode("PickupPoint", point)),
            occurred_at=entry.occurred_at,
        )


@strawberry.type(name="GridFeeStatement")
class GridFeeStatementType:
    id: strawberry.ID
    period_start: date
    period_end: date = strawberry.field(description="Exclusive: the period ends at its midnight.")
    opening_fen: int
    accrued_fen: int
    reversed_fen: int
    total_fen: int
    closing_fen: int
    line_count: int

    @classmethod
    def of(cls, s: GridFeeStatement) -> GridFeeStatementType:
        return cls(
            id=strawberry.ID(encode("GridFeeStatement", s.id)),
            period_start=s.period_start,
            period_end=s.period_end,
            opening_fen=s.opening_fen,
            accrued_fen=s.accrued_fen,
            reversed_fen=s.reversed_fen,
            total_fen=s.total_fen,
            closing_fen=s.closing_fen,
            line_count=s.line_count,
        )


async def _whose(info: Info, grid_id: strawberry.ID | None) -> int:
    """The grid whose fees are asked for: a grid operator's own (another
    grid's read as an empty one: -1); an operator's the one named."""
    viewer = info.context.require(Role.OPERATOR, Role.GRID_OPERATOR)
    if viewer.role is Role.GRID_OPERATOR:
        async with info.context.loaders.lock:
            own = await operated_grid(info.context.session, viewer.id)
        asked = None if grid_id is None else decode_argument(grid_id, "Warehouse", ["gridId"])
        if own is None or (asked is not None and asked != own):
            return -1
        return own
    if grid_id is None:
        raise bad_input("Operators name the grid warehouse (gridId).")
    return decode_argument(grid_id, "Warehouse", ["gridId"])


GridArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Operators name the grid; a grid operator gets its own."),
]


@strawberry.type
class GridFeesQuery:
    @strawberry.field(description="A grid warehouse's balances of fees per piece.")
    async def grid_fee_balance(
        self, info: Info, grid_id: GridArg = None
    ) -> GridFeeBalanceType | None:
        whose = await _whose(info, grid_id)
        if whose < 0:
            return None
        async with info.context.loaders.lock:
            account = await info.context.session.get(GridFeeAccount, whose)
        return GridFeeBalanceType(
            grid_id=strawberry.ID(encode("Warehouse", whose)),
            pending_fen=account.pending_fen if account else 0,
            available_fen=account.available_fen if account else 0,
        )

    @strawberry.field(description="A grid's book of fees per piece, in the order written.")
    async def grid_fee_entries(
        self,
        info: Info,
        grid_id: GridArg = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[GridFeeEntryType]:
        whose = await _whose(info, grid_id)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_grid_entries(
                info.context.session, grid_id=whose, after_id=after_id, limit=limit
            ),
            GridFeeEntryType.of,
        )

    @strawberry.field(description="A grid's statements, one per settled period, oldest first.")
    async def grid_fee_statements(
        self,
        info: Info,
        grid_id: GridArg = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[GridFeeStatementType]:
        whose = await _whose(info, grid_id)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_grid_statements(
                info.context.session, grid_id=whose, after_id=after_id, limit=limit
            ),
            GridFeeStatementType.of,
        )

    @strawberry.field(description="A grid's payout requests, oldest first.")
    async def grid_payouts(
        self,
        info: Info,
        grid_id: GridArg = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PayoutType]:
        whose = await _whose(info, grid_id)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: q.list_payouts(
                info.context.session,
                leader_id=None,
                grid_id=whose,
                status=None,
                after_id=after_id,
                limit=limit,
            ),
            PayoutType.of,
        )


async def grid_payout_request(info: Info, input: PayoutRequestInput) -> PayoutPayload:
    """A grid operator asks to be paid part of its grid's settled fees;
    operators approve it with the leaders' payouts."""
    viewer = info.context.require(Role.GRID_OPERATOR)
    settings = info.context.settings

    async def work(session: AsyncSession) -> Payout:
        grid = await operated_grid(session, viewer.id)
        if grid is None:
            raise NotFound("Grid warehouse")
        return await request_grid_payout(
            session, grid, viewer.id, input.amount_fen, input.idempotency_key, utcnow(), settings
        )

    return payout_payload(*await in_transaction(info.context, work))
