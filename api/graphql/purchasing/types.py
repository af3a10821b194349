"""Purchase orders as suppliers and operators see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.graphql.campaigns.types import ProductType, SupplierType, WarehouseType, product_of
from api.graphql.context import Info
from api.graphql.downloads import purchase_order_path
from api.graphql.nodes import visible_nodes
from api.graphql.permissions import can_see_purchase_order, viewer_supplier_id
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt
from fulfilment.purchasing.queries import changes


@strawberry.type(name="PurchaseOrderLine")
class PurchaseOrderLineType:
    ordered_units: int = strawberry.field(description="Units customers paid for.")
    case_pack: int
    cases: int = strawberry.field(description="Ordered units rounded up to whole cases.")
    purchase_units: int
    surplus_units: int = strawberry.field(description="Bought beyond the orders by rounding.")
    unit_cost_fen: int
    cost_fen: int
    confirmed_units: int | None = strawberry.field(
        description="What the supplier confirmed; null until it does."
    )
    product_id: strawberry.Private[int]
    purchase_order_id: strawberry.Private[int]

    @classmethod
    def of(cls, line: PurchaseOrderLine) -> PurchaseOrderLineType:
        return cls(
            purchase_order_id=line.purchase_order_id,
            confirmed_units=line.confirmed_units,
            ordered_units=line.ordered_units,
            case_pack=line.case_pack,
            cases=line.cases,
            purchase_units=line.purchase_units,
            surplus_units=line.surplus_units,
            unit_cost_fen=line.unit_cost_fen,
            cost_fen=line.cost_fen,
            product_id=line.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)

    @strawberry.field(description="Units received so far, all deliveries of this product.")
    async def received_units(self, info: Info) -> int:
        return sum(r.received_units for r in await self._receipts(info))

    @strawberry.field(description="Of the units received so far, those that passed QC.")
    async def accepted_units(self, info: Info) -> int:
        return sum(r.accepted_units for r in await self._receipts(info))

    async def _receipts(self, info: Info) -> list[Receipt]:
        rows = await info.context.loaders.receipts.load(self.purchase_order_id)
        return [r for r in rows if r.product_id == self.product_id]


@strawberry.type(name="Receipt", description="One delivery of one product, as recorded.")
class ReceiptType:
    received_units: int
    accepted_units: int = strawberry.field(description="Of the units received, those passing QC.")
    delivery_ref: str
    created_at: datetime
    product_id: strawberry.Private[int]

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptType:
        return cls(
            received_units=receipt.received_units,
            accepted_units=receipt.accepted_units,
            delivery_ref=receipt.delivery_ref,
            created_at=receipt.created_at,
            product_id=receipt.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)


@strawberry.type
class PurchaseOrderChange:
    units_before: int
    units_after: int
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)


@strawberry.type
class DownloadUrls:
    """Relative URLs of a file download; GET them with the same bearer token."""

    csv: str
    xlsx: str
    pdf: str = strawberry.field(description="Printable, with signature lines (A4).")


@strawberry.type(name="PurchaseOrder")
class PurchaseOrderType(relay.Node):
    id: relay.NodeID[int]
    delivery_date: date
    revision: int = strawberry.field(description="The current revision; earlier ones are kept.")
    revised_at: datetime
    receiving_closed_at: datetime | None
    supplier_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]

    @classmethod
    def of(cls, po: PurchaseOrder) -> PurchaseOrderType:
        return cls(
            warehouse_id=po.warehouse_id,
            id=po.id,
            delivery_date=po.delivery_date,
            revision=po.revision,
            revised_at=po.revised_at,
            receiving_closed_at=po.receiving_closed_at,
            supplier_id=po.supplier_id,
        )

    @strawberry.field(description="The lines of a revision (the current one by default).")
    async def lines(self, info: Info, revision: int | None = None) -> list[PurchaseOrderLineType]:
        lines = await info.context.loaders.revision_lines.load((self.id, revision or self.revision))
        return [PurchaseOrderLineType.of(ln) for ln in lines]

    @strawberry.field(description="Products whose quantity this revision changed.")
    async def changes(self, info: Info, revision: int | None = None) -> list[PurchaseOrderChange]:
        current = revision or self.revision
        if current <= 1:
            return []  # the first revision is the PO itself, not a change
        loader = info.context.loaders.revision_lines
        found = changes(
            await loader.load((self.id, current - 1)), await loader.load((self.id, current))
        )
        return [
            PurchaseOrderChange(
                units_before=c.units_before, units_after=c.units_after, product_id=c.product_id
            )
            for c in found
        ]

    @strawberry.field(
        description="Where to download a revision (the current one by default) as a file."
    )
    def download_urls(self, revision: int | None = None) -> DownloadUrls:
        return DownloadUrls(
            csv=purchase_order_path(self.id, "csv", revision),
            xlsx=purchase_order_path(self.id, "xlsx", revision),
            pdf=purchase_order_path(self.id, "pdf", revision),
        )

    @strawberry.field
    async def total_cost_fen(self, info: Info) -> int:
        lines = await info.context.loaders.revision_lines.load((self.id, self.revision))
        return sum(ln.cost_fen for ln in lines)

    @strawberry.field(
        description="Whoever may see the PO sees its supplier (warehouse staff receive from it)."
    )
    async def supplier(self, info: Info) -> SupplierType | None:
        supplier = await info.context.loaders.supplier.load(self.supplier_id)
        return None if supplier is None else SupplierType.of(supplier)

    @strawberry.field(description="The warehouse it is delivered to.")
    async def warehouse(self, info: Info) -> WarehouseType | None:
        warehouse = await info.context.loaders.warehouse.load(self.warehouse_id)
        return None if warehouse is None else WarehouseType.of(warehouse)

    @strawberry.field(description="Deliveries recorded against it, oldest first.")
    async def receipts(self, info: Info) -> list[ReceiptType]:
        return [ReceiptType.of(r) for r in await info.context.loaders.receipts.load(self.id)]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PurchaseOrderType | None]:
        own = await viewer_supplier_id(info)
        viewer = info.context.viewer
        return await visible_nodes(
            info.context.loaders.purchase_order,
            node_ids,
            cls.of,
            lambda po: can_see_purchase_order(viewer, po.supplier_id, own),
        )
