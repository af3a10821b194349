"""The commission ledger as the client sees it: entries, statements,
payouts, payout batches and settlements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.graphql.commission.types import EntryKindEnum, LedgerAccountEnum, _leader
from api.graphql.context import Info
from api.graphql.downloads import payout_batch_path
from api.graphql.ids import encode, node_db_ids
from api.graphql.leaders.types import LeaderType
from api.graphql.nodes import visible_nodes
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import visible_leaders, visible_payees
from kernel.accounts import Role
from leaders.commission.models import (
    BatchTransferStatus,
    LedgerEntry,
    Payout,
    PayoutBatch,
    PayoutStatus,
    PayoutTransferStatus,
    Settlement,
    Statement,
)
from leaders.commission.queries import list_payouts, statement_lines

PayoutStatusEnum = strawberry.enum(PayoutStatus, name="PayoutStatus")
PayoutTransferStatusEnum = strawberry.enum(
    PayoutTransferStatus,
    name="PayoutTransferStatus",
    description="A payout's transfer to WeChat balance: SENDING until WeChat Pay "
    "accepts its batch, then WeChat's own state of the transfer.",
)
BatchTransferStatusEnum = strawberry.enum(
    BatchTransferStatus,
    name="PayoutBatchTransferStatus",
    description="A batch sent by WeChat Pay transfer: SENDING until accepted, "
    "PROCESSING, FINISHED once every transfer is final.",
)


@strawberry.type(name="StatementLine")
class StatementLineType:
    entry_id: strawberry.ID = strawberry.field(description="The settled ledger entry.")
    kind: EntryKindEnum  # type: ignore[valid-type]
    amount_fen: int
    order_line_id: int | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> StatementLineType:
        return cls(
            entry_id=strawberry.ID(encode("LedgerEntry", entry.id)),
            kind=entry.kind,
            amount_fen=entry.amount_fen,
            order_line_id=entry.order_line_id,
        )


@strawberry.type(name="Statement")
class StatementType(relay.Node):
    id: relay.NodeID[int]
    period_start: date
    period_end: date = strawberry.field(description="Exclusive: the period ends at its midnight.")
    opening_fen: int = strawberry.field(
        description="The available balance before; negative when carried forward."
    )
    accrued_fen: int
    reversed_fen: int
    cash_held_fen: int = strawberry.field(
        description="Cash taken for orders (代下单) less cash handed back for their refunds, "
        "deducted: total = accrued + reversed − cash held."
    )
    total_fen: int = strawberry.field(description="The sum of the lines, exactly.")
    closing_fen: int
    line_count: int
    created_at: datetime
    leader_id: strawberry.Private[int]
    _row: strawberry.Private[Statement]

    @classmethod
    def of(cls, statement: Statement) -> StatementType:
        return cls(
            id=statement.id,
            period_start=statement.period_start,
            period_end=statement.period_end,
            opening_fen=statement.opening_fen,
            accrued_fen=statement.accrued_fen,
            reversed_fen=statement.reversed_fen,
            cash_held_fen=statement.cash_held_fen,
            total_fen=statement.total_fen,
            closing_fen=statement.closing_fen,
            line_count=statement.line_count,
            created_at=statement.created_at,
            leader_id=statement.leader_id,
            _row=statement,
        )

    @strawberry.field
    async def leader(self, info: Info) -> LeaderType | None:
        return await _leader(info, self.leader_id)

    @strawberry.field(description="Each settled entry, leading back to its order line.")
    async def lines(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StatementLineType]:
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: statement_lines(
                info.context.session, self._row, after_id=after_id, limit=limit
            ),
            StatementLineType.of,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[StatementType | None]:
        rows = await info.context.loaders.statement.load_many(node_db_ids(node_ids))
        seen = await visible_leaders(info, [r.leader_id if r else -1 for r in rows])
        return [cls.of(r) if r and ok else None for r, ok in zip(rows, seen, strict=True)]


@strawberry.type(name="Payout")
class PayoutType(relay.Node):
    id: relay.NodeID[int]
    amount_fen: int = strawberry.field(description="Taken from the balance, the fee included.")
    fee_fen: int
    transfer_fen: int = strawberry.field(description="What reaches the leader.")
    status: PayoutStatusEnum  # type: ignore[valid-type]
    reason: str | None = strawberry.field(
        description="Why it was rejected, or why its transfer failed (WeChat Pay's "
        "reason, e.g. ACCOUNT_FROZEN)."
    )
    requested_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None
    transfer_status: PayoutTransferStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="Sent by WeChat Pay transfer: where its transfer stands."
    )
    failed_at: datetime | None = strawberry.field(
        description="When its transfer failed and the money went back to the balance."
    )
    leader_id: strawberry.Private[int | None]
    grid_db_id: strawberry.Private[int | None]
    batch_db_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, payout: Payout) -> PayoutType:
        return cls(
            id=payout.id,
            amount_fen=payout.amount_fen,
            fee_fen=payout.fee_fen,
            transfer_fen=payout.transfer_fen,
            status=payout.status,
            reason=payout.reason,
            requested_at=payout.requested_at,
            decided_at=payout.decided_at,
            paid_at=payout.paid_at,
            transfer_status=payout.transfer_status,
            failed_at=payout.failed_at,
            leader_id=payout.leader_id,
            grid_db_id=payout.grid_id,
            batch_db_id=payout.batch_id,
        )

    @strawberry.field(description="The leader paid; null for a grid warehouse's payout.")
    async def leader(self, info: Info) -> LeaderType | None:
        return None if self.leader_id is None else await _leader(info, self.leader_id)

    @strawberry.field(
        description="The grid warehouse (网格仓) paid its fees per piece; null for a leader's."
    )
    def grid_id(self) -> strawberry.ID | None:
        return (
            None if self.grid_db_id is None else strawberry.ID(encode("Warehouse", self.grid_db_id))
        )

    @strawberry.field(description="The export it was paid in (operators).")
    async def batch(self, info: Info) -> PayoutBatchType | None:
        if self.batch_db_id is None:
            return None
        return (await PayoutBatchType.resolve_nodes(info=info, node_ids=[str(self.batch_db_id)]))[0]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PayoutType | None]:
        rows = await info.context.loaders.payout.load_many(node_db_ids(node_ids))
        seen = await visible_payees(info, [(r.leader_id, r.grid_id) if r else None for r in rows])
        return [cls.of(r) if r and ok else None for r, ok in zip(rows, seen, strict=True)]


@strawberry.type(name="PayoutBatch")
class PayoutBatchType(relay.Node):
    id: relay.NodeID[int]
    payout_count: int
    transfer_fen: int
    created_at: datetime
    paid_at: datetime | None = strawberry.field(description="Marked paid (the bank file).")
    transfer_status: BatchTransferStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="Sent by WeChat Pay transfer (payoutBatchSend): where it stands."
    )
    out_batch_no: str | None = strawberry.field(description="Its number at WeChat Pay.")
    transfer_error: str | None = strawberry.field(
        description="The last problem met sending or following it (it is tried again)."
    )
    transfer_requested_at: datetime | None
    transfer_finished_at: datetime | None

    @classmethod
    def of(cls, batch: PayoutBatch) -> PayoutBatchType:
        return cls(
            id=batch.id,
            payout_count=batch.payout_count,
            transfer_fen=batch.transfer_fen,
            created_at=batch.created_at,
            paid_at=batch.paid_at,
            transfer_status=batch.transfer_status,
            out_batch_no=batch.out_batch_no,
            transfer_error=batch.transfer_error,
            transfer_requested_at=batch.transfer_requested_at,
            transfer_finished_at=batch.transfer_finished_at,
        )

    @strawberry.field(description="The transfer file (CSV); GET it with the same bearer token.")
    def download_url(self) -> str:
        return payout_batch_path(self.id)

    @strawberry.field(description="Its payouts, in id order (the file's order).")
    async def payouts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PayoutType]:
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_payouts(
                info.context.session,
                leader_id=None,
                status=None,
                after_id=after_id,
                limit=limit,
                batch_id=self.id,
            ),
            PayoutType.of,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PayoutBatchType | None]:
        viewer = info.context.viewer
        if viewer is None or viewer.role is not Role.OPERATOR:
            return [None for _ in node_ids]
        return await visible_nodes(info.context.loaders.payout_batch, node_ids, cls.of)


@strawberry.type(name="Settlement")
class SettlementType:
    id: strawberry.ID
    period_start: date
    period_end: date
    statement_count: int
    line_count: int
    total_fen: int
    created_at: datetime

    @classmethod
    def of(cls, settlement: Settlement) -> SettlementType:
        return cls(
            id=strawberry.ID(encode("Settlement", settlement.id)),
            period_start=settlement.period_start,
            period_end=settlement.period_end,
            statement_count=settlement.statement_count,
            line_count=settlement.line_count,
            total_fen=settlement.total_fen,
            created_at=settlement.created_at,
        )


@strawberry.type(name="LedgerEntry")
class LedgerEntryType(relay.Node):
    id: relay.NodeID[int]
    kind: EntryKindEnum  # type: ignore[valid-type]
    account: LedgerAccountEnum  # type: ignore[valid-type]
    amount_fen: int
    balance_before_fen: int
    balance_after_fen: int
    base_fen: int | None = strawberry.field(
        description="The net sales the amount was computed from (negative for refunds)."
    )
    rate_bps: int | None
    order_line_id: int | None = strawberry.field(description="The order line it was booked for.")
    refund_id: int | None
    occurred_at: datetime
    created_at: datetime
    leader_id: strawberry.Private[int]
    statement_db_id: strawberry.Private[int | None]
    payout_db_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryType:
        return cls(
            id=entry.id,
            kind=entry.kind,
            account=entry.account,
            amount_fen=entry.amount_fen,
            balance_before_fen=entry.balance_before_fen,
            balance_after_fen=entry.balance_after_fen,
            base_fen=entry.base_fen,
            rate_bps=entry.rate_bps,
            order_line_id=entry.order_line_id,
            refund_id=entry.refund_id,
            occurred_at=entry.occurred_at,
            created_at=entry.created_at,
            leader_id=entry.leader_id,
            statement_db_id=entry.statement_id,
            payout_db_id=entry.payout_id,
        )

    @strawberry.field
    async def leader(self, info: Info) -> LeaderType | None:
        return await _leader(info, self.leader_id)

    @strawberry.field(description="The statement a settlement entry belongs to.")
    async def statement(self, info: Info) -> StatementType | None:
        if self.statement_db_id is None:
            return None
        return (await StatementType.resolve_nodes(info=info, node_ids=[str(self.statement_db_id)]))[
            0
        ]

    @strawberry.field
    async def payout(self, info: Info) -> PayoutType | None:
        if self.payout_db_id is None:
            return None
        return (await PayoutType.resolve_nodes(info=info, node_ids=[str(self.payout_db_id)]))[0]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LedgerEntryType | None]:
        rows = await info.context.loaders.ledger_entry.load_many(node_db_ids(node_ids))
        seen = await visible_leaders(info, [r.leader_id if r else -1 for r in rows])
        return [cls.of(r) if r and ok else None for r, ok in zip(rows, seen, strict=True)]
