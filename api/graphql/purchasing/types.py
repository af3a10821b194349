"""Purchase orders as suppliers and operators see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.graphql.campaigns.types import ProductType, SupplierType, product_of
from api.graphql.context import Info
from api.graphql.downloads import purchase_order_path
from api.graphql.nodes import visible_nodes
from api.graphql.permissions import can_see_purchase_order, viewer_supplier_id
from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
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

    @classmethod
    def of(cls, line: PurchaseOrderLine) -> PurchaseOrderLineType:
        return cls(
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

    @classmethod
    def of(cls, po: PurchaseOrder) -> PurchaseOrderType:
        return cls(
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

    @strawberry.field
    async def supplier(self, info: Info) -> SupplierType | None:
        return (await SupplierType.resolve_nodes(info=info, node_ids=[str(self.supplier_id)]))[0]

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
