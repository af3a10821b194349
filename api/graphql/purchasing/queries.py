"""Query fields of purchasing: purchase orders."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection, connection, page_window
from api.graphql.permissions import viewer_supplier_id
from api.graphql.purchasing.types import PurchaseOrderType
from fulfilment.purchasing.queries import list_purchase_orders
from kernel.accounts import Role


@strawberry.type
class PurchasingQuery:
    @strawberry.field(description="Purchase orders: all for operators, their own for suppliers.")
    async def purchase_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        delivery_date: date | None = None,
    ) -> Connection[PurchaseOrderType]:
        # Warehouse staff read every PO: they receive what was ordered.
        viewer = info.context.require(Role.OPERATOR, Role.SUPPLIER, Role.WAREHOUSE)
        size, after_id = page_window(first, after)
        supplier_id = None
        if viewer.role is Role.SUPPLIER:
            supplier_id = await viewer_supplier_id(info) or -1
        rows = await list_purchase_orders(
            info.context.session,
            supplier_id=supplier_id,
            delivery_date=delivery_date,
            after_id=after_id,
            limit=size + 1,
        )
        return connection(rows, size, PurchaseOrderType.of, after_id=after_id)
