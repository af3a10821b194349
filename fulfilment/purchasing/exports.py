"""A purchase order's revision as rows with Chinese headers, for
``kernel.tables``' writers (the supplier's CSV or XLSX). Who may read what
is the caller's business: this only reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import Supplier, Warehouse
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
from kernel.errors import NotFound
from kernel.tables import TOTAL_LABEL, Cell, Rows, Yuan

PURCHASE_ORDER_HEADER = (
    "供应商",
    "仓库",
    "送货日期",
    "版本",
    "商品",
    "单位",
    "订购数量",
    "箱规",
    "箱数",
    "采购数量",
    "余量",
    "单价(元)",
    "金额(元)",
)


async def purchase_order_rows(
    session: AsyncSession, purchase_order_id: int, revision: int | None = None
) -> Rows:
    """One revision (the current one by default) of a purchase order: a row
    per product, then a total row whose amount is the sum of the lines'.
    A missing PO, or a revision it never had, is NotFound."""
    po = await session.get(PurchaseOrder, purchase_order_id)
    wanted = po.revision if po is not None and revision is None else revision
    if po is None or wanted is None or not 1 <= wanted <= po.revision:
        raise NotFound("Purchase order", ["id"])
    supplier = await session.get(Supplier, po.supplier_id)
    warehouse = await session.get(Warehouse, po.warehouse_id)
    lines = (
        (
            await session.execute(
                select(PurchaseOrderLine)
                .where(
                    PurchaseOrderLine.purchase_order_id == po.id,
                    PurchaseOrderLine.revision == wanted,
                )
                .order_by(PurchaseOrderLine.product_id)
            )
        )
        .scalars()
        .all()
    )
    products = await products_by_id(session, (ln.product_id for ln in lines))
    out = Rows()
    out.header(PURCHASE_ORDER_HEADER)
    head: tuple[Cell, ...] = (
        supplier.name if supplier else "",
        warehouse.name if warehouse else "",
        po.delivery_date,
        wanted,
    )
    for ln in lines:
        product = products.get(ln.product_id)
        out.add(
            *head,
            product.name if product else "",
            product.unit if product else "",
            ln.ordered_units,
            ln.case_pack,
            ln.cases,
            ln.purchase_units,
            ln.surplus_units,
            Yuan(ln.unit_cost_fen),
            Yuan(ln.cost_fen),
        )
    blanks: tuple[Cell, ...] = ("",) * (len(PURCHASE_ORDER_HEADER) - 2)
    out.add(TOTAL_LABEL, *blanks, Yuan(sum(ln.cost_fen for ln in lines)))
    return out
