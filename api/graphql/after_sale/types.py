"""After-sale requests and supplier chargebacks, with who may see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from api.graphql.campaigns.types import ProductType, SupplierType, product_of
from api.graphql.context import Info
from api.graphql.nodes import visible_nodes
from api.graphql.orders.types import OrderType
from api.graphql.permissions import can_see_after_sale_request
from fulfilment.after_sale.models import (
    AfterSaleReason,
    AfterSaleRequest,
    AfterSaleStatus,
    SupplierChargeback,
)

AfterSaleReasonEnum = strawberry.enum(AfterSaleReason, name="AfterSaleReason")


AfterSaleStatusEnum = strawberry.enum(AfterSaleStatus, name="AfterSaleStatus")


@strawberry.type(name="AfterSaleRequest")
class AfterSaleRequestType(relay.Node):
    id: relay.NodeID[int]
    quantity: int
    reason: AfterSaleReasonEnum  # type: ignore[valid-type]
    note: str | None
    photo_urls: list[str] = strawberry.field(description="Photos of what went wrong, by URL.")
    status: AfterSaleStatusEnum  # type: ignore[valid-type]
    requested_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    auto_approved: bool = strawberry.field(
        description="Approved because no operator answered in time."
    )
    order_id: strawberry.Private[int]
    order_line_id: strawberry.Private[int]

    @classmethod
    def of(cls, request: AfterSaleRequest) -> AfterSaleRequestType:
        return cls(
            id=request.id,
            quantity=request.quantity,
            reason=request.reason,
            note=request.note,
            photo_urls=list(request.photo_urls or []),
            status=request.status,
            requested_at=request.requested_at,
            decided_at=request.decided_at,
            rejection_reason=request.rejection_reason,
            auto_approved=request.status is AfterSaleStatus.APPROVED
            and request.decided_by_id is None,
            order_id=request.order_id,
            order_line_id=request.order_line_id,
        )

    @strawberry.field(description="Quantity × the line's unit price: refunded once approved.")
    async def refund_fen(self, info: Info) -> int:
        line = await info.context.loaders.order_line.load(self.order_line_id)
        return 0 if line is None else self.quantity * line.unit_price_fen

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        line = await info.context.loaders.order_line.load(self.order_line_id)
        return None if line is None else await product_of(info, line.product_id)

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        return (await OrderType.resolve_nodes(info=info, node_ids=[str(self.order_id)]))[0]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AfterSaleRequestType | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            info.context.loaders.after_sale_request,
            node_ids,
            cls.of,
            lambda r: can_see_after_sale_request(viewer, r),
        )


@strawberry.type(
    name="SupplierChargeback",
    description="Units refunded to a customer for a quality problem, charged to the supplier.",
)
class SupplierChargebackType:
    units: int
    unit_cost_fen: int = strawberry.field(description="On the purchase order the goods came on.")
    amount_fen: int
    created_at: datetime
    refund_reference: str = strawberry.field(description="The customer refund it stems from.")
    supplier_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    order_line_id: strawberry.Private[int]
    request_id: strawberry.Private[int]

    @classmethod
    def of(cls, chargeback: SupplierChargeback) -> SupplierChargebackType:
        return cls(
            units=chargeback.units,
            unit_cost_fen=chargeback.unit_cost_fen,
            amount_fen=chargeback.amount_fen,
            created_at=chargeback.created_at,
            refund_reference=f"RF{chargeback.refund_id:08d}",
            supplier_id=chargeback.supplier_id,
            product_id=chargeback.product_id,
            order_line_id=chargeback.order_line_id,
            request_id=chargeback.after_sale_request_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)

    @strawberry.field
    async def supplier(self, info: Info) -> SupplierType | None:
        supplier = await info.context.loaders.supplier.load(self.supplier_id)
        return None if supplier is None else SupplierType.of(supplier)

    @strawberry.field(description="The order's number (for the supplier's records).")
    async def order_number(self, info: Info) -> str | None:
        line = await info.context.loaders.order_line.load(self.order_line_id)
        order = None if line is None else await info.context.loaders.order.load(line.order_id)
        return None if order is None else order.number

    @strawberry.field(description="The customer's request (operators).")
    async def after_sale_request(self, info: Info) -> AfterSaleRequestType | None:
        found = await AfterSaleRequestType.resolve_nodes(info=info, node_ids=[str(self.request_id)])
        return found[0]
