"""Changing what a supplier is paid for a product, from a date on
(productCostSet). The schedule itself and how consolidation reads it are in
fulfilment/campaigns/costs.py.

A change is never retroactive. Its date must be today's business date or
later, and later than every purchase order already made for the product's
supplier: those were sent to the supplier at the old cost, and making them
again must not change what was agreed. Setting a cost again for the same
date replaces the one scheduled there (nothing was bought at it yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.costs import costs_on
from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Product, ProductCost
from fulfilment.purchasing.models import PurchaseOrder
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.versioning import check_version, record_edit

# A unit costing more than 100,000 yuan is a typing error (the API's edge
# refuses it first: api/graphql/limits.py).
MAX_COST_FEN = 10_000_000


@dataclass(frozen=True)
class CostChange:
    product_id: int
    cost_fen: int
    effective_from: date
    expected_version: int


async def _last_bought(session: AsyncSession, supplier_id: int) -> date | None:
    """The latest delivery date the supplier already has a purchase order for."""
    stmt = select(func.max(PurchaseOrder.delivery_date)).where(
        PurchaseOrder.supplier_id == supplier_id
    )
    found: date | None = (await session.execute(stmt)).scalar_one()
    return found


async def _refuse_retroactive(
    session: AsyncSession, product: Product, effective_from: date, today: date
) -> None:
    if effective_from < today:
        raise DomainError(
            CampaignErrorCode.COST_RETROACTIVE,
            f"A cost change takes effect from today ({today.isoformat()}) or later.",
            ["effectiveFrom"],
        )
    bought = await _last_bought(session, product.supplier_id)
    if bought is not None and effective_from <= bought:
        raise DomainError(
            CampaignErrorCode.COST_RETROACTIVE,
            f"The supplier has purchase orders up to {bought.isoformat()} at the old cost; "
            "date the change after that.",
            ["effectiveFrom"],
        )


async def set_cost(
    session: AsyncSession, change: CostChange, *, actor_id: int, today: date, now: datetime
) -> Product:
    """Schedule the product's cost ``cost_fen`` from ``effective_from`` on;
    the product's version goes up and the change is kept in its history."""
    if not 0 <= change.cost_fen <= MAX_COST_FEN:
        raise DomainError(
            CommonErrorCode.INVALID, f"Must be between 0 and {MAX_COST_FEN}.", ["costFen"]
        )
    product = await session.get(Product, change.product_id, with_for_update=True)
    if product is None:
        raise NotFound("Product", ["productId"])
    check_version(product.version, change.expected_version, "product")
    await _refuse_retroactive(session, product, change.effective_from, today)
    before = (await costs_on(session, [product.id], change.effective_from))[product.id]
    scheduled = (
        await session.execute(
            select(ProductCost).where(
                ProductCost.product_id == product.id,
                ProductCost.effective_from == change.effective_from,
            )
        )
    ).scalar_one_or_none()
    if scheduled is None:
        scheduled = ProductCost(product_id=product.id, effective_from=change.effective_from)
        session.add(scheduled)
    scheduled.cost_fen, scheduled.set_by_id, scheduled.set_at = change.cost_fen, actor_id, now
    if before != change.cost_fen:
        product.version += 1
        key = f"cost_fen from {change.effective_from.isoformat()}"
        await record_edit(
            session,
            entity_type="Product",
            entity_id=product.id,
            version=product.version,
            actor_id=actor_id,
            before={key: before},
            after={key: change.cost_fen},
            now=now,
        )
    await session.flush()
    return product
