"""The reports' GraphQL types: plain rows of figures, money in fen and
rates in basis points (null where there is nothing to divide by)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from api.graphql.commission.ledger_types import PayoutStatusEnum
from api.graphql.ids import encode
from api.graphql.orders.refunds import RefundReasonEnum
from fulfilment.reports.after_sale import ProductAfterSale
from fulfilment.reports.leaders import LeaderRank
from fulfilment.reports.payees import PayeeKind
from fulfilment.reports.registers import PayoutDay, PayoutRow, StatementRow
from fulfilment.reports.sales import SalesFigures
from fulfilment.reports.suppliers import SupplierFill


@strawberry.type(description="Sales of one delivery date, or of the whole range (date null).")
class SalesFiguresType:
    date: date | None
    gmv_fen: int = strawberry.field(description="Paid orders' line amounts.")
    orders: int
    customers: int = strawberry.field(description="Distinct customers.")
    average_basket_fen: int = strawberry.field(description="GMV per order, half up.")
    refunded_fen: int = strawberry.field(description="Every refund booked on those orders.")
    net_fen: int

    @classmethod
    def of(cls, f: SalesFigures) -> SalesFiguresType:
        return cls(
            date=f.day,
            gmv_fen=f.gmv_fen,
            orders=f.orders,
            customers=f.customers,
            average_basket_fen=f.average_basket_fen,
            refunded_fen=f.refunded_fen,
            net_fen=f.net_fen,
        )


@strawberry.type
class SalesReportType:
    totals: SalesFiguresType
    days: list[SalesFiguresType] = strawberry.field(description="Every date of the range.")


@strawberry.type(description="A leader's place in the ranking, by sales.")
class LeaderRankType:
    rank: int
    leader_id: strawberry.ID
    leader_name: str
    pickup_point: str
    sales_fen: int
    orders: int
    customers: int
    commission_fen: int = strawberry.field(description="Accrued less reversed, from the ledger.")
    after_sale_fen: int
    after_sale_bps: int | None

    @classmethod
    def of(cls, r: LeaderRank) -> LeaderRankType:
        return cls(
            rank=r.rank,
            leader_id=strawberry.ID(encode("Leader", r.leader_id)),
            leader_name=r.leader_name,
            pickup_point=r.pickup_point,
            sales_fen=r.sales_fen,
            orders=r.orders,
            customers=r.customers,
            commission_fen=r.commission_fen,
            after_sale_fen=r.after_sale_fen,
            after_sale_bps=r.after_sale_bps,
        )


@strawberry.type(description="A supplier's purchase orders in units, and its rates.")
class SupplierFillType:
    supplier_id: strawberry.ID
    supplier_name: str
    customer_units: int
    ordered_units: int
    confirmed_units: int
    received_units: int
    accepted_units: int
    short_units: int
    short_fen: int
    confirmed_bps: int | None = strawberry.field(description="Confirmed ÷ ordered.")
    accepted_bps: int | None = strawberry.field(description="Accepted ÷ confirmed.")
    shortage_bps: int | None = strawberry.field(description="Shorted ÷ customers' units.")
    qc_failure_bps: int | None = strawberry.field(description="(Received − accepted) ÷ received.")

    @classmethod
    def of(cls, r: SupplierFill) -> SupplierFillType:
        return cls(
            supplier_id=strawberry.ID(encode("Supplier", r.supplier_id)),
            supplier_name=r.supplier_name,
            customer_units=r.customer_units,
            ordered_units=r.ordered_units,
            confirmed_units=r.confirmed_units,
            received_units=r.received_units,
            accepted_units=r.accepted_units,
            short_units=r.short_units,
            short_fen=r.short_fen,
            confirmed_bps=r.confirmed_bps,
            accepted_bps=r.accepted_bps,
            shortage_bps=r.shortage_bps,
            qc_failure_bps=r.qc_failure_bps,
        )


@strawberry.type(description="A product's sales and after-sale refunds.")
class ProductAfterSaleType:
    product_id: strawberry.ID
    product_name: str
    category: str
    sold_units: int
    sales_fen: int
    refunds: int
    refunded_units: int
    refunded_fen: int
    after_sale_bps: int | None

    @classmethod
    def of(cls, r: ProductAfterSale) -> ProductAfterSaleType:
        return cls(
            product_id=strawberry.ID(encode("Product", r.product_id)),
            product_name=r.product_name,
            category=r.category,
            sold_units=r.sold_units,
            sales_fen=r.sales_fen,
            refunds=r.refunds,
            refunded_units=r.refunded_units,
            refunded_fen=r.refunded_fen,
            after_sale_bps=r.after_sale_bps,
        )


@strawberry.type
class RefundReasonTotalType:
    reason: RefundReasonEnum  # type: ignore[valid-type]
    refunds: int
    amount_fen: int
    returned_fen: int = strawberry.field(description="Back with the payer.")


@strawberry.type
class ReportDayAmountType:
    date: date
    amount_fen: int


@strawberry.type
class RefundsReportType:
    reasons: list[RefundReasonTotalType]
    days: list[ReportDayAmountType]
    refunds: int
    amount_fen: int
    returned_fen: int


PayeeKindEnum = strawberry.enum(
    PayeeKind,
    name="PayeeKind",
    description="Who a register's row pays: a leader, or a grid warehouse (网格仓) "
    "its fees per piece.",
)


@strawberry.interface(description="Whom a register's row pays: a leader, or a grid warehouse.")
class RegisterPayee:
    payee_kind: PayeeKindEnum  # type: ignore[valid-type]
    leader_id: strawberry.ID | None = strawberry.field(description="Null for a grid's.")
    leader_name: str | None = strawberry.field(description="Null for a grid's.")
    grid_id: strawberry.ID | None = strawberry.field(
        description="The grid warehouse (a Warehouse ID); null for a leader's."
    )
    payee_name: str = strawberry.field(description="The leader's or the grid warehouse's name.")


def _payee(r: StatementRow | PayoutRow) -> dict[str, Any]:
    """A row's RegisterPayee fields, its ids as global IDs."""
    return {
        "payee_kind": r.payee_kind,
        "leader_id": None if r.leader_id is None else strawberry.ID(encode("Leader", r.leader_id)),
        "leader_name": r.leader_name,
        "grid_id": None if r.grid_id is None else strawberry.ID(encode("Warehouse", r.grid_id)),
        "payee_name": r.payee_name,
    }


@strawberry.type(description="One leader's or one grid warehouse's statement of a settlement.")
class StatementRowType(RegisterPayee):
    statement_id: strawberry.ID = strawberry.field(
        description="A Statement's ID, or a GridFeeStatement's for a grid."
    )
    period_start: date
    period_end: date = strawberry.field(description="The period's last day.")
    opening_fen: int
    accrued_fen: int
    reversed_fen: int
    cash_held_fen: int = strawberry.field(description="Always 0 for a grid.")
    total_fen: int
    closing_fen: int
    line_count: int

    @classmethod
    def of(cls, r: StatementRow) -> StatementRowType:
        kind = "Statement" if r.payee_kind is PayeeKind.LEADER else "GridFeeStatement"
        return cls(
            statement_id=strawberry.ID(encode(kind, r.statement_id)),
            period_start=r.period_start,
            period_end=r.period_end,
            **_payee(r),
            opening_fen=r.opening_fen,
            accrued_fen=r.accrued_fen,
            reversed_fen=r.reversed_fen,
            cash_held_fen=r.cash_held_fen,
            total_fen=r.total_fen,
            closing_fen=r.closing_fen,
            line_count=r.line_count,
        )


@strawberry.type(description="A settled period's totals: its leaders' and grids' statements.")
class SettlementPeriodType:
    period_end: date = strawberry.field(description="The period's last day.")
    statements: int
    accrued_fen: int
    reversed_fen: int
    cash_held_fen: int
    total_fen: int


@strawberry.type(description="One leader's or one grid warehouse's payout.")
class PayoutRowType(RegisterPayee):
    payout_id: strawberry.ID
    grid_operator_name: str | None = strawberry.field(
        description="The grid operator who asked; null for a leader's."
    )
    requested_at: datetime
    status: PayoutStatusEnum  # type: ignore[valid-type]
    amount_fen: int
    fee_fen: int
    transfer_fen: int
    paid_at: datetime | None

    @classmethod
    def of(cls, r: PayoutRow) -> PayoutRowType:
        return cls(
            payout_id=strawberry.ID(encode("Payout", r.payout_id)),
            **_payee(r),
            grid_operator_name=r.grid_operator_name,
            requested_at=r.requested_at,
            status=r.status,
            amount_fen=r.amount_fen,
            fee_fen=r.fee_fen,
            transfer_fen=r.transfer_fen,
            paid_at=r.paid_at,
        )


@strawberry.type(description="Payouts requested on one date.")
class PayoutDayType:
    date: date
    payouts: int
    amount_fen: int
    fee_fen: int
    transfer_fen: int
    paid_fen: int

    @classmethod
    def of(cls, d: PayoutDay) -> PayoutDayType:
        return cls(
            date=d.day,
            payouts=d.payouts,
            amount_fen=d.amount_fen,
            fee_fen=d.fee_fen,
            transfer_fen=d.transfer_fen,
            paid_fen=d.paid_fen,
        )
