"""Supplier statements, their lines and supplier pay batches as the client
sees them. IDs are global IDs of the types ``SupplierStatement``,
``SupplierStatementLine`` and ``SupplierPayBatch``."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql.campaigns.types import SupplierType
from api.graphql.context import Info
from api.graphql.ids import encode
from api.graphql.pagination import Connection, paginate
from fulfilment.supplier_settlement.models import (
    LineKind,
    LineState,
    StatementState,
    SupplierPayBatch,
    SupplierStatement,
    SupplierStatementLine,
)
from fulfilment.supplier_settlement.queries import statement_lines

SupplierLineKindEnum = strawberry.enum(
    LineKind,
    name="SupplierStatementLineKind",
    description="GOODS: accepted units × agreed cost; SHORTAGE, QC_FAILURE, DELIVERY_FAULT, "
    "QUALITY_CLAIM: chargebacks; SERVICE_FEE; BROUGHT_FORWARD / CARRIED_FORWARD: a "
    "negative total moved from one statement to the next.",
)
SupplierLineStateEnum = strawberry.enum(LineState, name="SupplierStatementLineState")
SupplierStatementStateEnum = strawberry.enum(StatementState, name="SupplierStatementState")


def supplier_pay_batch_path(batch_id: int) -> str:
    """The relative download URL of a supplier pay batch's bank file (CSV)."""
    return f"/exports/supplier-pay-batches/{encode('SupplierPayBatch', batch_id)}.csv"


def supplier_return_path(purchase_order_id: int, fmt: str) -> str:
    """The relative download URL of a PO's return-to-supplier document."""
    return f"/exports/supplier-returns/{encode('PurchaseOrder', purchase_order_id)}.{fmt}"


@strawberry.type(name="SupplierStatementLine")
class SupplierStatementLineType:
    id: strawberry.ID
    kind: SupplierLineKindEnum  # type: ignore[valid-type]
    amount_fen: int = strawberry.field(description="As issued; deductions are negative.")
    adjustment_fen: int = strawberry.field(description="Added by the dispute's resolution.")
    net_fen: int = strawberry.field(description="amountFen + adjustmentFen.")
    state: SupplierLineStateEnum  # type: ignore[valid-type]
    detail: str
    units: int | None
    unit_cost_fen: int | None
    purchase_order_id: strawberry.ID | None
    product_id: strawberry.ID | None
    confirmed_at: datetime | None
    dispute_reason: str | None
    disputed_at: datetime | None
    resolution_note: str | None
    resolved_at: datetime | None
    return_url: str | None = strawberry.field(
        description="QC failures: the purchase order's return-to-supplier document (PDF)."
    )

    @classmethod
    def of(cls, line: SupplierStatementLine) -> SupplierStatementLineType:
        po = line.purchase_order_id
        return cls(
            id=strawberry.ID(encode("SupplierStatementLine", line.id)),
            kind=line.kind,
            amount_fen=line.amount_fen,
            adjustment_fen=line.adjustment_fen,
            net_fen=line.amount_fen + line.adjustment_fen,
            state=line.state,
            detail=line.detail,
            units=line.units,
            unit_cost_fen=line.unit_cost_fen,
            purchase_order_id=strawberry.ID(encode("PurchaseOrder", po)) if po else None,
            product_id=(
                strawberry.ID(encode("Product", line.product_id)) if line.product_id else None
            ),
            confirmed_at=line.confirmed_at,
            dispute_reason=line.dispute_reason,
            disputed_at=line.disputed_at,
            resolution_note=line.resolution_note,
            resolved_at=line.resolved_at,
            return_url=(
                supplier_return_path(po, "pdf") if po and line.kind is LineKind.QC_FAILURE else None
            ),
        )


@strawberry.type(name="SupplierStatement")
class SupplierStatementType:
    id: strawberry.ID
    period_start: date
    period_end: date = strawberry.field(description="Exclusive: the period ends at its midnight.")
    state: SupplierStatementStateEnum  # type: ignore[valid-type]
    goods_fen: int
    chargeback_fen: int = strawberry.field(description="Shortages, QC, delivery, quality; <= 0.")
    fee_fen: int = strawberry.field(description="The platform's service fee; <= 0.")
    fee_bp: int
    brought_forward_fen: int = strawberry.field(description="Earlier negative totals; <= 0.")
    adjustment_fen: int = strawberry.field(description="Resolved disputes.")
    carried_forward_fen: int = strawberry.field(
        description="A negative total moved to the next statement on approval; >= 0."
    )
    total_fen: int = strawberry.field(description="The sum of the lines and adjustments, exactly.")
    payable_fen: int | None = strawberry.field(
        description="Fixed on approval, never negative; null while issued."
    )
    line_count: int
    issued_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    batch_id: strawberry.ID | None
    supplier_db_id: strawberry.Private[int]
    db_id: strawberry.Private[int]

    @classmethod
    def of(cls, s: SupplierStatement) -> SupplierStatementType:
        return cls(
            id=strawberry.ID(encode("SupplierStatement", s.id)),
            period_start=s.period_start,
            period_end=s.period_end,
            state=s.state,
            goods_fen=s.goods_fen,
            chargeback_fen=s.chargeback_fen,
            fee_fen=s.fee_fen,
            fee_bp=s.fee_bp,
            brought_forward_fen=s.brought_forward_fen,
            adjustment_fen=s.adjustment_fen,
            carried_forward_fen=s.carried_forward_fen,
            total_fen=s.total_fen,
            payable_fen=s.payable_fen,
            line_count=s.line_count,
            issued_at=s.issued_at,
            approved_at=s.approved_at,
            paid_at=s.paid_at,
            batch_id=strawberry.ID(encode("SupplierPayBatch", s.batch_id)) if s.batch_id else None,
            supplier_db_id=s.supplier_id,
            db_id=s.id,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> SupplierType | None:
        found = await SupplierType.resolve_nodes(info=info, node_ids=[str(self.supplier_db_id)])
        return found[0]

    @strawberry.field(description="The lines in order.")
    async def lines(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SupplierStatementLineType]:
        statement_id = self.db_id
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: statement_lines(
                info.context.session, statement_id, after_id=after_id, limit=limit
            ),
            SupplierStatementLineType.of,
        )


@strawberry.type(name="SupplierPayBatch")
class SupplierPayBatchType:
    id: strawberry.ID
    statement_count: int
    total_fen: int
    created_at: datetime
    paid_at: datetime | None = strawberry.field(description="Marked paid (the bank file).")
    download_url: str = strawberry.field(
        description="The bank file (CSV); GET it with the same bearer token."
    )

    @classmethod
    def of(cls, batch: SupplierPayBatch) -> SupplierPayBatchType:
        return cls(
            id=strawberry.ID(encode("SupplierPayBatch", batch.id)),
            statement_count=batch.statement_count,
            total_fen=batch.total_fen,
            created_at=batch.created_at,
            paid_at=batch.paid_at,
            download_url=supplier_pay_batch_path(batch.id),
        )
