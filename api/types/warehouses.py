"""Warehouses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from api.context import Info
from api.ids import node_db_ids
from api.types.common import Coordinates
from fulfilment.campaigns.models import Warehouse
from kernel.accounts import Role, User
from kernel.geo import LatLon

WAREHOUSE_READERS = (Role.OPERATOR, Role.DISPATCHER, Role.SUPPLIER)


def can_see_warehouse(viewer: User | None) -> bool:
    return viewer is not None and viewer.role in WAREHOUSE_READERS


@strawberry.type(name="Warehouse")
class WarehouseType(relay.Node):
    id: relay.NodeID[int]
    name: str
    address: str
    location: Coordinates
    created_at: datetime

    @classmethod
    def of(cls, warehouse: Warehouse) -> WarehouseType:
        return cls(
            id=warehouse.id,
            name=warehouse.name,
            address=warehouse.address,
            location=Coordinates.of(LatLon(warehouse.lat, warehouse.lon)),
            created_at=warehouse.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WarehouseType | None]:
        if not can_see_warehouse(info.context.viewer):
            return [None for _ in node_ids]
        found = await info.context.loaders.warehouse.load_many(node_db_ids(node_ids))
        return [cls.of(w) if w else None for w in found]
