"""Query fields of pickup and after-sale: a point's day at the counter, its
helpers, after-sale requests and supplier chargebacks."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.after_sale.types import (
    AfterSaleRequestType,
    AfterSaleStatusEnum,
    SupplierChargebackType,
)
from api.graphql.context import Info
from api.graphql.orders.types import OrderPickupType
from api.graphql.pagination import Connection, connection, page_window, paginate
from api.graphql.permissions import viewer_supplier_id
from api.graphql.pickup.types import (
    PickupDay,
    PickupHelperStatusEnum,
    PickupHelperType,
    PickupStatusEntry,
)
from fulfilment.after_sale.requests import list_after_sale_requests, list_chargebacks
from fulfilment.pickup.status import PickupEntry, pickup_counts, pickup_entries
from kernel.accounts import Role
from leaders.applications.queries import leader_of_user
from leaders.points.helpers import list_helpers, verifier_point
from leaders.points.queries import pickup_points_by_leader


def _entry(entry: PickupEntry) -> PickupStatusEntry:
    return PickupStatusEntry(
        picked_up=entry.pickup is not None,
        pickup=None if entry.pickup is None else OrderPickupType.of(entry.pickup),
        order_obj=entry.order,
    )


@strawberry.type
class PickupQuery:
    @strawberry.field(
        description="Leaders and their approved helpers: the point's paid orders of a "
        "delivery date, collected or not; null for anyone else."
    )
    async def pickup_status(
        self,
        info: Info,
        delivery_date: date,
        picked_up: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PickupDay | None:
        viewer = info.context.require(Role.LEADER, Role.CUSTOMER)
        size, after_id = page_window(first, after)
        session = info.context.session
        async with info.context.loaders.lock:
            point_id = await verifier_point(session, viewer.id)
            if point_id is None:
                return None
            counts = await pickup_counts(session, point_id, delivery_date)
            rows = await pickup_entries(
                session,
                point_id,
                delivery_date,
                picked_up=picked_up,
                after_id=after_id,
                limit=size + 1,
            )
        return PickupDay(
            delivery_date=delivery_date,
            orders=counts.orders,
            picked_up=counts.picked_up,
            entries=connection(rows, size, _entry, after_id=after_id),
        )

    @strawberry.field(
        description="Pickup helpers: all for operators (PENDING ones await approval), "
        "their own point's for leaders."
    )
    async def pickup_helpers(
        self,
        info: Info,
        status: PickupHelperStatusEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PickupHelperType]:
        viewer = info.context.require(Role.OPERATOR, Role.LEADER)
        size, after_id = page_window(first, after)
        session = info.context.session
        async with info.context.loaders.lock:
            point_id = None
            if viewer.role is Role.LEADER:
                leader = await leader_of_user(session, viewer.id)
                point = (
                    None
                    if leader is None
                    else (await pickup_points_by_leader(session, [leader.id])).get(leader.id)
                )
                point_id = -1 if point is None else point.id
            rows = await list_helpers(
                session,
                pickup_point_id=point_id,
                status=status,
                after_id=after_id,
                limit=size + 1,
            )
        return connection(rows, size, PickupHelperType.of, after_id=after_id)

    @strawberry.field(
        description="After-sale requests: operators see all (filter by status, e.g. "
        "PENDING to decide), customers their own."
    )
    async def after_sale_requests(
        self,
        info: Info,
        status: list[AfterSaleStatusEnum] | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AfterSaleRequestType]:
        viewer = info.context.require(Role.OPERATOR, Role.CUSTOMER, Role.LEADER)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_after_sale_requests(
                info.context.session,
                customer_id=None if viewer.role is Role.OPERATOR else viewer.id,
                statuses=status,
                after_id=after_id,
                limit=limit,
            ),
            AfterSaleRequestType.of,
        )

    @strawberry.field(
        description="Quality refunds charged to suppliers: all for operators, their own "
        "for suppliers."
    )
    async def supplier_chargebacks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SupplierChargebackType]:
        viewer = info.context.require(Role.OPERATOR, Role.SUPPLIER)
        size, after_id = page_window(first, after)
        supplier_id = None
        if viewer.role is Role.SUPPLIER:
            supplier_id = await viewer_supplier_id(info) or -1
        async with info.context.loaders.lock:
            rows = await list_chargebacks(
                info.context.session, supplier_id=supplier_id, after_id=after_id, limit=size + 1
            )
        return connection(rows, size, SupplierChargebackType.of, after_id=after_id)
