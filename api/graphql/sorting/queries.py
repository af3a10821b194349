"""Query fields of sorting: pick lists and warehouse totals."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select

from api.graphql.context import Info
from api.graphql.ids import decode_argument
from api.graphql.leaders.types import PickupPointType
from api.graphql.sorting.types import CustomerPickLine, PickList, PickListLine, PickupPointLoadType
from fulfilment.campaigns.service_areas import warehouse_of
from fulfilment.sorting.models import PickupPointLoad
from fulfilment.sorting.sorting import pick_list, warehouse_totals
from kernel.accounts import Role


@strawberry.type
class SortingQuery:
    @strawberry.field(
        description="A pickup point's pick list for a delivery date (operators, "
        "dispatchers, and the point's own leader)."
    )
    async def pick_list(
        self, info: Info, pickup_point_id: strawberry.ID, delivery_date: date
    ) -> PickList | None:
        viewer = info.context.require(Role.OPERATOR, Role.DISPATCHER, Role.WAREHOUSE, Role.LEADER)
        point_id = decode_argument(pickup_point_id, "PickupPoint", ["pickupPointId"])
        point = (await PickupPointType.resolve_nodes(info=info, node_ids=[str(point_id)]))[0]
        if point is None or (viewer.role is Role.LEADER and not await _is_own(info, point)):
            return None
        session = info.context.session
        async with info.context.loaders.lock:
            warehouse_id = await warehouse_of(session, point_id)
            if warehouse_id is None:
                return None
            products, customers = await pick_list(session, warehouse_id, delivery_date, point_id)
            loads = (
                (
                    await session.execute(
                        select(PickupPointLoad)
                        .where(
                            PickupPointLoad.pickup_point_id == point_id,
                            PickupPointLoad.delivery_date == delivery_date,
                        )
                        .order_by(PickupPointLoad.storage_zone)
                    )
                )
                .scalars()
                .all()
            )
        users = await info.context.loaders.user.load_many([c.customer_id for c in customers])
        return PickList(
            products=[PickListLine(units=p.units, product_id=p.product_id) for p in products],
            customers=[
                CustomerPickLine(
                    units=c.units,
                    product_id=c.product_id,
                    customer_name=u.name if u else "",
                    customer_phone=u.phone if u else None,
                )
                for c, u in zip(customers, users, strict=True)
            ],
            loads=[
                PickupPointLoadType(
                    storage_zone=ld.storage_zone,
                    units=ld.units,
                    weight_g=ld.weight_g,
                    volume_ml=ld.volume_ml,
                    totes=ld.totes,
                )
                for ld in loads
            ],
        )

    @strawberry.field(description="Units of each product a warehouse sends out on a date.")
    async def warehouse_totals(
        self, info: Info, warehouse_id: strawberry.ID, delivery_date: date
    ) -> list[PickListLine]:
        info.context.require(Role.OPERATOR, Role.DISPATCHER, Role.WAREHOUSE)
        wid = decode_argument(warehouse_id, "Warehouse", ["warehouseId"])
        async with info.context.loaders.lock:
            totals = await warehouse_totals(info.context.session, wid, delivery_date)
        return [PickListLine(units=t.units, product_id=t.product_id) for t in totals]


async def _is_own(info: Info, point: PickupPointType) -> bool:
    leader = await info.context.loaders.leader.load(point.leader_id)
    viewer = info.context.viewer
    return leader is not None and viewer is not None and leader.user_id == viewer.id
