"""Top-level query fields."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay import GlobalID, GlobalIDValueError

from api.graphql.after_sale.types import AfterSaleRequestType
from api.graphql.campaigns.types import (
    CampaignItemType,
    CampaignType,
    ProductType,
    SupplierType,
    WarehouseType,
)
from api.graphql.commission.ledger_types import (
    LedgerEntryType,
    PayoutBatchType,
    PayoutType,
    StatementType,
)
from api.graphql.context import Info
from api.graphql.errors import bad_input, unauthenticated
from api.graphql.ids import decode
from api.graphql.jobs.types import JobType
from api.graphql.leaders.types import LeaderStatusEnum, LeaderType, PickupPointType
from api.graphql.orders.refunds import RefundType
from api.graphql.orders.types import OrderType
from api.graphql.pagination import MAX_PAGE, Connection, paginate
from api.graphql.permissions import WAREHOUSE_READERS
from api.graphql.pickup.types import PickupHelperType
from api.graphql.purchasing.types import PurchaseOrderType
from api.graphql.routing.types import RoutePlanType, RouteStopType, RouteType, VehicleTypeType
from api.graphql.users import UserType
from fulfilment.campaigns.warehouses import list_warehouses
from kernel.accounts import Role
from kernel.errors import DomainError
from leaders.applications.queries import list_leaders
from leaders.points.queries import list_pickup_points

NODE_TYPES: dict[str, Any] = {
    t.__name__.removesuffix("Type"): t
    for t in (
        UserType,
        LeaderType,
        PickupPointType,
        WarehouseType,
        JobType,
        SupplierType,
        ProductType,
        CampaignType,
        CampaignItemType,
        OrderType,
        RefundType,
        PurchaseOrderType,
        VehicleTypeType,
        RoutePlanType,
        RouteType,
        RouteStopType,
        LedgerEntryType,
        StatementType,
        PayoutType,
        PayoutBatchType,
        PickupHelperType,
        AfterSaleRequestType,
    )
}


async def resolve_global_ids(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """Look up global IDs of any node type; each type applies its own
    visibility rule, so a hidden object reads exactly like a missing one."""
    decoded: list[tuple[str, str]] = []
    for raw in ids:
        try:
            gid = GlobalID.from_id(raw)
        except GlobalIDValueError as exc:
            raise bad_input(f"Malformed ID {raw!r}.") from exc
        decoded.append((gid.type_name, gid.node_id))

    async def one(type_name: str, node_id: str) -> relay.Node | None:
        node_type = NODE_TYPES.get(type_name)
        if node_type is None:
            return None
        found: list[relay.Node | None] = await node_type.resolve_nodes(
            info=info, node_ids=[node_id]
        )
        return found[0]

    # Gathered, so the DataLoaders batch the lookups into one query per type.
    return list(await asyncio.gather(*(one(t, i) for t, i in decoded)))


@strawberry.type
class CoreQuery:
    @strawberry.field(
        description="Any object by its global ID; null when it does not exist or "
        "you may not see it (the two look the same)."
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await resolve_global_ids(info, [id]))[0]

    @strawberry.field(description="Up to 100 objects by global ID, in the order asked.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_PAGE:
            raise bad_input(f"At most {MAX_PAGE} ids at once.")
        return await resolve_global_ids(info, ids)

    @strawberry.field(
        description="The signed-in user; null without a token, UNAUTHENTICATED with a bad one."
    )
    def viewer(self, info: Info) -> UserType | None:
        if info.context.token_refused:
            raise unauthenticated(info.context.refusal)
        viewer = info.context.viewer
        return None if viewer is None else UserType.of(viewer)

    @strawberry.field(description="Leaders and applications (operators).")
    async def leaders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: LeaderStatusEnum | None = None,  # type: ignore[valid-type]
    ) -> Connection[LeaderType]:
        info.context.require(Role.OPERATOR)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_leaders(
                info.context.session, status=status, after_id=after_id, limit=limit
            ),
            LeaderType.of,
        )

    @strawberry.field(
        description="Pickup points: all for operators and dispatchers; the ones "
        "taking orders for customers."
    )
    async def pickup_points(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PickupPointType]:
        viewer = info.context.require(Role.OPERATOR, Role.DISPATCHER, Role.CUSTOMER)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_pickup_points(
                info.context.session,
                orderable_only=viewer.role is Role.CUSTOMER,
                after_id=after_id,
                limit=limit,
            ),
            PickupPointType.of,
        )

    @strawberry.field
    async def warehouses(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WarehouseType]:
        info.context.require(*WAREHOUSE_READERS)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_warehouses(
                info.context.session, after_id=after_id, limit=limit
            ),
            WarehouseType.of,
        )

    @strawberry.field(description="A background job: status, progress, result or error.")
    async def job(self, info: Info, id: strawberry.ID) -> JobType | None:
        info.context.require()
        try:
            job_id = decode(id, "Job", ["id"])
        except DomainError:
            return None
        found = await JobType.resolve_nodes(info=info, node_ids=[str(job_id)])
        return found[0]
