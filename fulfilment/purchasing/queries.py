"""Reading purchase orders: lists, one revision's lines, and what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.db import keyset_page


async def list_purchase_orders(
    session: AsyncSession,
    *,
    supplier_id: int | None,
    delivery_date: date | None,
    after_id: int | None,
    limit: int,
) -> Sequence[PurchaseOrder]:
    stmt = select(PurchaseOrder)
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    if delivery_date is not None:
        stmt = stmt.where(PurchaseOrder.delivery_date == delivery_date)
    return list(
        (await session.execute(keyset_page(stmt, PurchaseOrder.id, after_id, limit))).scalars()
    )


@dataclass(frozen=True)
class LineChange:
    product_id: int
    units_before: int
    units_after: int


def changes(
    before: Sequence[PurchaseOrderLine], after: Sequence[PurchaseOrderLine]
) -> list[LineChange]:
    """Products a revision added, removed or changed against the one before."""
    was = {ln.product_id: ln.ordered_units for ln in before}
    now = {ln.product_id: ln.ordered_units for ln in after}
    return [
        LineChange(product, was.get(product, 0), now.get(product, 0))
        for product in sorted(was.keys() | now.keys())
        if was.get(product, 0) != now.get(product, 0)
    ]
