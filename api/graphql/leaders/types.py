"""Leaders and pickup points, with who may see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, urlsplit

import strawberry
from strawberry import relay

from api.graphql.common import Coordinates, TimeWindow
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import node_db_ids
from api.graphql.nodes import visible_nodes
from api.graphql.permissions import can_see_user
from api.graphql.users import UserType
from api.qr import qr_svg
from kernel.geo import LatLon
from leaders.points.models import Leader, LeaderStatus, PickupPoint

if TYPE_CHECKING:
    from api.graphql.campaigns.types import WarehouseType
from api.graphql.permissions import can_see_leader, can_see_pickup_point

LeaderStatusEnum = strawberry.enum(LeaderStatus, name="LeaderStatus")


@strawberry.type(name="Leader")
class LeaderType(relay.Node):
    id: relay.NodeID[int]
    status: LeaderStatusEnum  # type: ignore[valid-type]
    status_reason: str | None = strawberry.field(
        description="Why the application was rejected or the leader suspended."
    )
    applied_at: datetime
    decided_at: datetime | None
    user_id: strawberry.Private[int]

    @classmethod
    def of(cls, leader: Leader) -> LeaderType:
        return cls(
            id=leader.id,
            status=leader.status,
            status_reason=leader.status_reason,
            applied_at=leader.applied_at,
            decided_at=leader.decided_at,
            user_id=leader.user_id,
        )

    @strawberry.field
    async def user(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.user_id)
        return UserType.of(user) if user and can_see_user(info.context.viewer, user) else None

    @strawberry.field
    async def pickup_point(self, info: Info) -> PickupPointType | None:
        point = await info.context.loaders.pickup_point_by_leader.load(self.id)
        return None if point is None else PickupPointType.of(point)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LeaderType | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            info.context.loaders.leader, node_ids, cls.of, lambda x: can_see_leader(viewer, x)
        )


@strawberry.type(name="PickupPoint")
class PickupPointType(relay.Node):
    id: relay.NodeID[int]
    name: str
    address: str
    location: Coordinates
    receiving_window: TimeWindow
    contact_phone: str
    version: int = strawberry.field(
        description="Bumped by every edit; edits name the version they were made from."
    )
    leader_id: strawberry.Private[int]
    _share_code: strawberry.Private[str | None]

    @classmethod
    def of(cls, point: PickupPoint) -> PickupPointType:
        return cls(
            id=point.id,
            name=point.name,
            address=point.address,
            location=Coordinates.of(LatLon(point.lat, point.lon)),
            receiving_window=TimeWindow(start=point.window_start, end=point.window_end),
            contact_phone=point.contact_phone,
            version=point.version,
            leader_id=point.leader_id,
            _share_code=point.share_code,
        )

    @strawberry.field(
        description="The code behind the leader's share link and QR code (the leader "
        "and operators)."
    )
    async def share_code(self, info: Info) -> str | None:
        viewer = info.context.viewer
        leader = await info.context.loaders.leader.load(self.leader_id)
        if viewer is None or leader is None:
            return None
        return self._share_code if can_see_leader(viewer, leader) else None

    @strawberry.field(
        description="The share link `<baseUrl>/app/?share=<shareCode>` as a QR code (an SVG "
        "document), for whoever may see the share code. The server has no public address of "
        "its own: the client gives the origin it was loaded from, e.g. https://tuangou.example."
    )
    async def share_qr_svg(self, info: Info, base_url: str) -> str | None:
        code = await self.share_code(info)
        if code is None:
            return None
        return qr_svg(share_link(base_url, code))

    @strawberry.field(description="The warehouse that supplies this pickup point.")
    async def warehouse(
        self, info: Info
    ) -> Annotated[WarehouseType, strawberry.lazy("api.graphql.campaigns.types")] | None:
        from api.graphql.campaigns.types import WarehouseType
        from api.graphql.permissions import can_see_warehouse

        if not can_see_warehouse(info.context.viewer):
            return None
        area = await info.context.loaders.service_area.load(self.id)
        warehouse = await info.context.loaders.warehouse.load(area.warehouse_id) if area else None
        return None if warehouse is None else WarehouseType.of(warehouse)

    @strawberry.field(description="Whether orders can be placed here (leader approved, active).")
    async def orderable(self, info: Info) -> bool:
        leader = await info.context.loaders.leader.load(self.leader_id)
        return leader is not None and leader.status is LeaderStatus.APPROVED

    @strawberry.field
    async def leader(self, info: Info) -> LeaderType | None:
        leader = await info.context.loaders.leader.load(self.leader_id)
        if leader is None or not can_see_leader(info.context.viewer, leader):
            return None
        return LeaderType.of(leader)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PickupPointType | None]:
        loaders = info.context.loaders
        points = await loaders.pickup_point.load_many(node_db_ids(node_ids))
        leaders = await loaders.leader.load_many([p.leader_id if p else -1 for p in points])
        viewer = info.context.viewer
        return [
            cls.of(p) if p and can_see_pickup_point(viewer, p, leader) else None
            for p, leader in zip(points, leaders, strict=True)
        ]


def share_link(base_url: str, code: str) -> str:
    """The customer's page for ``code`` under ``base_url`` (an http(s) origin)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(base_url) > 200:
        raise bad_input("baseUrl must be an http(s) address such as https://tuangou.example.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/app/?share={quote(code)}"
