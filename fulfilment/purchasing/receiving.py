"""What suppliers promise and what arrives: confirmations, receipts (one or
more deliveries per product) and closing receiving. Each step that reveals a
shortage allocates it at once (see shortages.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.purchasing.errors import PurchasingErrorCode
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.purchasing.shortages import ShortageSummary, allocate_shortages
from kernel.accounts import User
from kernel.errors import DomainError, NotFound


async def _open_order(
    session: AsyncSession, purchase_order_id: int, supplier_id: int | None = None
) -> PurchaseOrder:
    po = (
        await session.execute(
            select(PurchaseOrder).where(PurchaseOrder.id == purchase_order_id).with_for_update()
        )
    ).scalar_one_or_none()
    if po is None or (supplier_id is not None and po.supplier_id != supplier_id):
        raise NotFound("Purchase order", ["id"])
    if po.receiving_closed_at is not None:
        raise DomainError(
            PurchasingErrorCode.RECEIVING_CLOSED,
            "Receiving of this purchase order is closed.",
            ["id"],
        )
    return po


async def _current_lines(session: AsyncSession, po: PurchaseOrder) -> dict[int, PurchaseOrderLine]:
    rows = await session.execute(
        select(PurchaseOrderLine).where(
            PurchaseOrderLine.purchase_order_id == po.id,
            PurchaseOrderLine.revision == po.revision,
        )
    )
    return {line.product_id: line for line in rows.scalars()}


async def confirm(
    session: AsyncSession,
    purchase_order_id: int,
    supplier_id: int,
    units: Mapping[int, int],
    now: datetime,
) -> tuple[PurchaseOrder, ShortageSummary]:
    """The supplier confirms lines of the current revision, in full or in part
    (units it will deliver, up to what was bought). A short confirmation is a
    shortage known early: it is allocated and refunded at once."""
    po = await _open_order(session, purchase_order_id, supplier_id)
    lines = await _current_lines(session, po)
    for index, (product_id, confirmed) in enumerate(units.items()):
        line = lines.get(product_id)
        if line is None:
            raise DomainError(
                PurchasingErrorCode.NOT_ON_PURCHASE_ORDER,
                "This product is not on the purchase order.",
                ["lines", str(index), "productId"],
            )
        if not 0 <= confirmed <= line.purchase_units:
            raise DomainError(
                PurchasingErrorCode.INVALID_UNITS,
                f"Confirm 0 to {line.purchase_units} units.",
                ["lines", str(index), "units"],
            )
        line.confirmed_units = confirmed
    await session.flush()
    return po, await allocate_shortages(session, po.id, now)


async def record_receipt(
    session: AsyncSession,
    purchase_order_id: int,
    product_id: int,
    *,
    received: int,
    accepted: int,
    delivery_ref: str,
    by: User,
    now: datetime,
) -> Receipt:
    """Record one delivery of a product: units that arrived, and those of them
    that passed QC."""
    po = await _open_order(session, purchase_order_id)
    if product_id not in await _current_lines(session, po):
        raise DomainError(
            PurchasingErrorCode.NOT_ON_PURCHASE_ORDER,
            "This product is not on the purchase order.",
            ["productId"],
        )
    if received < 0 or not 0 <= accepted <= received:
        raise DomainError(
            PurchasingErrorCode.INVALID_UNITS,
            "Accepted units are between 0 and the units received.",
            ["acceptedUnits"],
        )
    receipt = Receipt(
        purchase_order_id=po.id,
        product_id=product_id,
        received_units=received,
        accepted_units=accepted,
        delivery_ref=delivery_ref.strip()[:64],
        recorded_by_id=by.id,
        created_at=now,
    )
    session.add(receipt)
    await session.flush()
    return receipt


async def close_receiving(
    session: AsyncSession, purchase_order_id: int, now: datetime
) -> tuple[PurchaseOrder, ShortageSummary]:
    """No more deliveries: whatever was not accepted is short, and is
    allocated to order lines and refunded."""
    po = await _open_order(session, purchase_order_id)
    po.receiving_closed_at = now
    await session.flush()
    return po, await allocate_shortages(session, po.id, now)
