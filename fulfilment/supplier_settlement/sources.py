"""What a supplier's next statement books: everything of the supplier up to
the period's end that no statement booked yet.

* purchase-order lines (the current revision) of POs delivered before the
  period's end whose receiving is closed (only then are the counts final);
* after-sale quality chargebacks and delivery faults recorded before the
  period's end;
* carried-forward totals of approved statements not yet brought forward.

Something that missed its period (receiving closed late, a claim after the
period's end) is booked by the supplier's next statement: "not yet booked",
never "in the period", decides.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fulfilment.after_sale.models import SupplierChargeback
from fulfilment.campaigns.models import Product
from fulfilment.purchasing.exports import po_number
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.supplier_settlement.arithmetic import PoLineFacts, po_line_amounts
from fulfilment.supplier_settlement.ledger import Draft
from fulfilment.supplier_settlement.models import (
    EntryKind,
    LineKind,
    SupplierDeliveryFault,
    SupplierLedgerEntry,
)

_PO_KINDS = (EntryKind.GOODS, EntryKind.SHORTAGE, EntryKind.QC_FAILURE)


def _receipt_sum(column: Any) -> Any:
    return (
        select(func.coalesce(func.sum(column), 0))
        .where(
            Receipt.purchase_order_id == PurchaseOrder.id,
            Receipt.product_id == PurchaseOrderLine.product_id,
        )
        .scalar_subquery()
    )


def _po_lines(period_end: date) -> Any:
    booked = exists().where(
        SupplierLedgerEntry.purchase_order_line_id == PurchaseOrderLine.id,
        SupplierLedgerEntry.kind.in_(_PO_KINDS),
    )
    return (
        select(
            PurchaseOrder.id,
            PurchaseOrder.delivery_date,
            PurchaseOrderLine.id,
            PurchaseOrderLine.product_id,
            Product.name,
            PurchaseOrderLine.purchase_units,
            PurchaseOrderLine.confirmed_units,
            PurchaseOrderLine.unit_cost_fen,
            _receipt_sum(Receipt.received_units),
            _receipt_sum(Receipt.accepted_units),
        )
        .join(
            PurchaseOrderLine,
            (PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            & (PurchaseOrderLine.revision == PurchaseOrder.revision),
        )
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(
            PurchaseOrder.delivery_date < period_end,
            PurchaseOrder.receiving_closed_at.is_not(None),
            ~booked,
        )
    )


def _chargebacks(end_at: datetime) -> Any:
    booked = exists().where(SupplierLedgerEntry.chargeback_id == SupplierChargeback.id)
    return (
        select(SupplierChargeback, Product.name)
        .join(Product, Product.id == SupplierChargeback.product_id)
        .where(SupplierChargeback.created_at < end_at, ~booked)
    )


def _faults(end_at: datetime) -> Any:
    booked = exists().where(SupplierLedgerEntry.delivery_fault_id == SupplierDeliveryFault.id)
    return (
        select(SupplierDeliveryFault, Product.name)
        .join(Product, Product.id == SupplierDeliveryFault.product_id)
        .where(SupplierDeliveryFault.created_at < end_at, ~booked)
    )


def _carried() -> Any:
    taken = aliased(SupplierLedgerEntry)
    entry = SupplierLedgerEntry
    return select(entry).where(
        entry.kind == EntryKind.CARRIED_FORWARD,
        ~exists().where(taken.reverses_id == entry.id),
    )


async def suppliers_with_business(
    session: AsyncSession, period_end: date, end_at: datetime
) -> list[int]:
    """The suppliers with goods or claims for a statement of the period
    ending ``period_end`` (at ``end_at``)."""
    found: set[int] = set()
    # A carried-forward total alone is no business: it waits for the
    # supplier's next goods or claims instead of a statement every period.
    queries = (
        _po_lines(period_end).with_only_columns(PurchaseOrder.supplier_id),
        _chargebacks(end_at).with_only_columns(SupplierChargeback.supplier_id),
        _faults(end_at).with_only_columns(SupplierDeliveryFault.supplier_id),
    )
    for query in queries:
        found.update((await session.execute(query.distinct())).scalars())
    return sorted(found)


async def po_line_drafts(
    session: AsyncSession, supplier_id: int, period_end: date, chargeback_bp: int
) -> list[Draft]:
    """Goods, shortage and QC-failure lines of the supplier's unbooked
    purchase-order lines, in delivery date, PO and product order."""
    rows = await session.execute(
        _po_lines(period_end)
        .where(PurchaseOrder.supplier_id == supplier_id)
        .order_by(PurchaseOrder.delivery_date, PurchaseOrder.id, PurchaseOrderLine.product_id)
    )
    drafts = []
    for po_id, day, line_id, product_id, name, bought, confirmed, cost, received, accepted in rows:
        facts = PoLineFacts(bought, confirmed, int(received), int(accepted), cost)
        for kind, units, amount in po_line_amounts(facts, chargeback_bp):
            drafts.append(
                Draft(
                    kind=kind,
                    amount_fen=amount,
                    detail=f"{po_number(po_id, day)} {name}",
                    purchase_order_id=po_id,
                    product_id=product_id,
                    units=units,
                    unit_cost_fen=cost,
                    purchase_order_line_id=line_id,
                )
            )
    return drafts


async def claim_drafts(session: AsyncSession, supplier_id: int, end_at: datetime) -> list[Draft]:
    """After-sale quality chargebacks, then delivery faults, oldest first."""
    drafts = []
    chargebacks = await session.execute(
        _chargebacks(end_at)
        .where(SupplierChargeback.supplier_id == supplier_id)
        .order_by(SupplierChargeback.id)
    )
    for chargeback, name in chargebacks:
        drafts.append(
            Draft(
                kind=LineKind.QUALITY_CLAIM,
                amount_fen=-chargeback.amount_fen,
                detail=f"售后质量问题 RF{chargeback.refund_id:08d} {name}",
                purchase_order_id=chargeback.purchase_order_id,
                product_id=chargeback.product_id,
                units=chargeback.units,
                unit_cost_fen=chargeback.unit_cost_fen,
                chargeback_id=chargeback.id,
            )
        )
    faults = await session.execute(
        _faults(end_at)
        .where(SupplierDeliveryFault.supplier_id == supplier_id)
        .order_by(SupplierDeliveryFault.id)
    )
    for fault, name in faults:
        drafts.append(
            Draft(
                kind=LineKind.DELIVERY_FAULT,
                amount_fen=-fault.amount_fen,
                detail=f"配送缺件（供应商责任） {name}",
                purchase_order_id=fault.purchase_order_id,
                product_id=fault.product_id,
                units=fault.units,
                unit_cost_fen=fault.unit_cost_fen,
                delivery_fault_id=fault.id,
            )
        )
    return drafts


async def brought_forward_drafts(session: AsyncSession, supplier_id: int) -> list[Draft]:
    """Earlier negative totals of the supplier, each taken over once."""
    carried = await session.execute(
        _carried()
        .where(SupplierLedgerEntry.supplier_id == supplier_id)
        .order_by(SupplierLedgerEntry.id)
    )
    return [
        Draft(
            kind=LineKind.BROUGHT_FORWARD,
            amount_fen=-entry.amount_fen,
            detail=f"上期结转 (对账单 {entry.statement_id})",
            reverses_id=entry.id,
        )
        for entry in carried.scalars()
    ]
