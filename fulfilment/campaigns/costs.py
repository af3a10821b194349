"""A product's cost over time: the supplier's agreed cost per unit, each
from a business date on (``product_costs``).

Money depends on it, so a change is never retroactive: it takes effect
from a date, and purchase orders for days before that date keep the cost
they were made with. The cost a purchase order line takes is the one of the
latest row dated on or before the PO's delivery date; ``products.cost_fen``
(the cost the product was created with) stands in for a product without
rows, which after migration 0029 none is.

Changing the schedule is fulfilment/purchasing/costs.py (it must look at
purchase orders, which this room does not import).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import ColumnElement, Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Product, ProductCost

# Products created before costs had dates cost what they cost from here on;
# earlier than any delivery date the platform has.
EARLIEST = date(2000, 1, 1)


def effective_costs(day: date) -> Subquery:
    """(product_id, cost_fen) of every product's cost in force on ``day``:
    one set-based lookup to join, not a query per product. Products without
    rows are absent; join outer and fall back to ``products.cost_fen``."""
    ranked = (
        select(
            ProductCost.product_id,
            ProductCost.cost_fen,
            func.row_number()
            .over(partition_by=ProductCost.product_id, order_by=ProductCost.effective_from.desc())
            .label("rank"),
        )
        .where(ProductCost.effective_from <= day)
        .subquery()
    )
    return select(ranked.c.product_id, ranked.c.cost_fen).where(ranked.c.rank == 1).subquery("cost")


def cost_on(costs: Subquery) -> ColumnElement[int]:
    """The unit cost column of a query joined (outer) to ``effective_costs``."""
    return func.coalesce(costs.c.cost_fen, Product.cost_fen)


async def costs_on(session: AsyncSession, product_ids: Iterable[int], day: date) -> dict[int, int]:
    """Each product's unit cost in force on ``day``, in one query."""
    wanted = set(product_ids)
    if not wanted:
        return {}
    costs = effective_costs(day)
    rows = await session.execute(
        select(Product.id, cost_on(costs))
        .outerjoin(costs, costs.c.product_id == Product.id)
        .where(Product.id.in_(wanted))
    )
    return {product_id: int(cost) for product_id, cost in rows.all()}


async def cost_schedule(session: AsyncSession, product_id: int) -> Sequence[ProductCost]:
    """A product's costs, oldest date first."""
    stmt = (
        select(ProductCost)
        .where(ProductCost.product_id == product_id)
        .order_by(ProductCost.effective_from)
    )
    return (await session.execute(stmt)).scalars().all()
