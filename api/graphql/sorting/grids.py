"""Stage one of two-tier sorting in the API: what the central warehouse
sends each grid warehouse on a delivery date, and its pick list."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql.campaigns.types import StorageZoneEnum
from api.graphql.context import Info
from api.graphql.delivery.grid_handover import GridReceiptType, receipt_of
from api.graphql.downloads import grid_document_path
from api.graphql.errors import forbidden
from api.graphql.ids import decode_argument
from api.graphql.network.types import GridWarehouseType
from api.graphql.routing.types import RoutePlanStatusEnum
from api.graphql.sorting.types import PickListLine
from fulfilment.delivery.grid_handover import grid_receipt
from fulfilment.network.queries import grids_of, operated_grid
from fulfilment.routing.trunk import incoming_trunks
from fulfilment.sorting.grids import grid_loads, grid_pick_list
from kernel.accounts import Role


@strawberry.type
class GridZoneLoad:
    storage_zone: StorageZoneEnum  # type: ignore[valid-type]
    units: int
    cases: int = strawberry.field(description="Full supplier cases, travelling as packed.")
    loose_units: int = strawberry.field(description="Units beyond full cases, in totes.")
    totes: int
    handling_units: int = strawberry.field(description="Cases and totes: what the trunk carries.")
    weight_g: int
    volume_ml: int


@strawberry.type
class GridPickLine(PickListLine):
    storage_zone: StorageZoneEnum  # type: ignore[valid-type]
    case_pack: int
    cases: int
    loose_units: int


@strawberry.type
class GridDocumentUrls:
    pick_list_csv: str
    pick_list_xlsx: str
    labels_pdf: str = strawberry.field(
        description="One label per case and tote: grid, date, zone, n/m and a QR code."
    )


@strawberry.type(name="IncomingTrunk")
class IncomingTrunkType:
    plan_status: RoutePlanStatusEnum  # type: ignore[valid-type]
    route_number: int
    arrival_at: datetime
    unloaded_at: datetime = strawberry.field(
        description="When the trunk's goods are unloaded: the grid's vans may load from then."
    )
    handling_units: int
    weight_g: int


@strawberry.type
class GridShipment:
    grid: GridWarehouseType
    zones: list[GridZoneLoad] = strawberry.field(
        description="The last sorting run's loads; empty when nothing goes to the grid."
    )
    delivery_date: strawberry.Private[date]
    central_id: strawberry.Private[int]

    @strawberry.field(description="The grid's signature for this delivery, once signed.")
    async def receipt(self, info: Info) -> GridReceiptType | None:
        async with info.context.loaders.lock:  # the session is shared with sibling fields
            found = await grid_receipt(info.context.session, self.grid.grid_id, self.delivery_date)
        return None if found is None else receipt_of(found)

    @strawberry.field(
        description="The trunk bringing it, from the central's trunk plan in force (published, "
        "else the latest draft); null before any trunk plan serves the grid."
    )
    async def incoming_trunk(self, info: Info) -> IncomingTrunkType | None:
        key = (self.grid.grid_id, self.delivery_date)
        async with info.context.loaders.lock:  # the session is shared with sibling fields
            trunk = (await incoming_trunks(info.context.session, [key])).get(key)
        if trunk is None:
            return None
        return IncomingTrunkType(
            plan_status=trunk.plan_status,
            route_number=trunk.route_number,
            arrival_at=trunk.arrival_at,
            unloaded_at=trunk.unloaded_at,
            handling_units=trunk.handling_units,
            weight_g=trunk.weight_g,
        )

    @strawberry.field(description="Stage one's printable pick list and labels for the grid.")
    def download_urls(self) -> GridDocumentUrls:
        grid, day = self.grid.grid_id, self.delivery_date
        return GridDocumentUrls(
            pick_list_csv=grid_document_path(grid, day, "pick-list", "csv"),
            pick_list_xlsx=grid_document_path(grid, day, "pick-list", "xlsx"),
            labels_pdf=grid_document_path(grid, day, "labels", "pdf"),
        )

    @strawberry.field(description="Stage one's pick list for the grid, product by product.")
    async def pick_list(self, info: Info) -> list[GridPickLine]:
        async with info.context.loaders.lock:
            lines = await grid_pick_list(
                info.context.session, self.central_id, self.delivery_date, self.grid.grid_id
            )
        return [
            GridPickLine(
                units=line.units,
                product_id=line.product_id,
                storage_zone=line.storage_zone,
                case_pack=line.case_pack,
                cases=line.cases,
                loose_units=line.loose,
            )
            for line in lines
        ]


@strawberry.type
class GridSortingQuery:
    @strawberry.field(
        description="Stage one of two-tier sorting: per grid warehouse of the central, what "
        "the central sends on the date (from the last sorting run), with a pick list. A grid "
        "operator sees its own grid only (another central: FORBIDDEN)."
    )
    async def grid_shipments(
        self, info: Info, central_id: strawberry.ID, delivery_date: date
    ) -> list[GridShipment]:
        viewer = info.context.require(
            Role.OPERATOR, Role.DISPATCHER, Role.WAREHOUSE, Role.GRID_OPERATOR
        )
        central = decode_argument(central_id, "Warehouse", ["centralId"])
        session = info.context.session
        async with info.context.loaders.lock:  # the session is shared with sibling fields
            grids = await grids_of(session, central)
            # A grid operator sees its own grid's shipment, of its own central.
            if viewer.role is Role.GRID_OPERATOR:
                own = await operated_grid(session, viewer.id)
                grids = [g for g in grids if g.grid.warehouse_id == own]
            loads = await grid_loads(session, central, delivery_date) if grids else {}
        if viewer.role is Role.GRID_OPERATOR and not grids:
            raise forbidden()
        return [
            GridShipment(
                grid=GridWarehouseType.of_grid(grid),
                zones=[
                    GridZoneLoad(
                        storage_zone=load.storage_zone,
                        units=load.units,
                        cases=load.cases,
                        loose_units=load.loose_units,
                        totes=load.totes,
                        handling_units=load.handling_units,
                        weight_g=load.weight_g,
                        volume_ml=load.volume_ml,
                    )
                    for load in loads.get(grid.grid.warehouse_id, [])
                ],
                delivery_date=delivery_date,
                central_id=central,
            )
            for grid in grids
        ]
