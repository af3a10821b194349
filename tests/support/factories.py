"""Small factories for the catalogue, campaigns and leaders, built through
the domain functions. Each test calls what it needs; nothing is shared."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from api.graphql.ids import encode
from fulfilment.campaigns import campaigns, catalog
from fulfilment.campaigns.models import StorageZone
from fulfilment.campaigns.service_areas import assign_warehouse
from fulfilment.campaigns.warehouses import create_warehouse
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.geo import LatLon
from leaders.applications import lifecycle as applications
from leaders.points.models import LeaderStatus
from leaders.points.queries import pickup_points_by_leader
from tests.conftest import TestDB


@dataclass
class Shop:
    """A warehouse with one open campaign, and an approved leader's pickup
    point it serves. Global IDs are ready for GraphQL."""

    operator: User
    operator_token: str
    warehouse_id: int
    campaign_id: int
    item_ids: list[int]
    pickup_point_id: int
    leader_user: User
    leader_token: str
    delivery_date: date
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def pickup_point_gid(self) -> str:
        return encode("PickupPoint", self.pickup_point_id)

    def item_gid(self, index: int = 0) -> str:
        return encode("CampaignItem", self.item_ids[index])

    @property
    def campaign_gid(self) -> str:
        return encode("Campaign", self.campaign_id)


def delivery_day() -> date:
    """A delivery date far enough ahead that a cutoff one hour from now is
    always before it, whatever the hour in Shanghai."""
    return (utcnow() + timedelta(days=2)).date()


async def approved_pickup_point(
    db: TestDB,
    operator: User,
    warehouse_id: int | None,
    *,
    status: LeaderStatus = LeaderStatus.APPROVED,
) -> tuple[int, User, str]:
    """A customer who applied and was approved (or left ``status``); returns
    (pickup point id, leader user, leader token)."""
    user, token = await db.user(Role.CUSTOMER, f"团长-{uuid.uuid4().hex[:4]}")
    async with unit_of_work(db.sessions) as session:
        me = await session.get(User, user.id)
        assert me is not None
        leader = await applications.apply(
            session,
            me,
            applications.PickupPointDraft(
                name="幸福小区",
                address="长沙市岳麓区",
                location=LatLon(28.2, 112.9),
                window_start=time(7),
                window_end=time(11),
                contact_phone="13800138000",
            ),
        )
        if status is not LeaderStatus.PENDING:
            await applications.approve(session, leader.id, operator)
        if status is LeaderStatus.SUSPENDED:
            await applications.suspend(session, leader.id, operator, "test")
        point = (await pickup_points_by_leader(session, [leader.id]))[leader.id]
        if warehouse_id is not None:
            await assign_warehouse(session, point.id, warehouse_id)
        await session.refresh(me)
        return point.id, me, token


async def open_shop(
    db: TestDB,
    *,
    items: Sequence[Mapping[str, int | None]] | None = None,
    opens_at: datetime | None = None,
    cutoff_at: datetime | None = None,
) -> Shop:
    """Everything an order needs. ``items`` are ItemDraft keyword arguments
    without product_id (one product is made per item, with ``case_pack`` if
    given, else 12); default: one item at 9.90 yuan (list 12.90), no cap."""
    operator, operator_token = await db.user(Role.OPERATOR, "运营")
    now = utcnow()
    wanted = items or [{"group_price_fen": 990, "list_price_fen": 1290}]
    async with unit_of_work(db.sessions) as session:
        warehouse = await create_warehouse(
            session,
            name=f"仓-{uuid.uuid4().hex[:12]}",
            address="长沙市望城区",
            location=LatLon(28.35, 112.82),
            created_by=operator,
        )
        supplier = await catalog.create_supplier(
            session,
            name=f"供应商-{uuid.uuid4().hex[:12]}",
            contact_name="老王",
            contact_phone="13900139000",
        )
        drafts = []
        product_ids: list[int] = []
        for index, spec in enumerate(wanted):
            product = await catalog.create_product(
                session,
                catalog.ProductDraft(
                    supplier_id=supplier.id,
                    name=f"商品{index}",
                    category="水果",
                    unit="500g/盒",
                    weight_g=500,
                    volume_ml=800,
                    case_pack=int(spec.get("case_pack") or 12),
                    cost_fen=600,
                    storage_zone=StorageZone.AMBIENT,
                ),
            )
            product_ids.append(product.id)
            pricing = {k: v for k, v in spec.items() if k != "case_pack"}
            drafts.append(campaigns.ItemDraft(product_id=product.id, **pricing))  # type: ignore[arg-type]
        day = delivery_day()
        campaign = await campaigns.create_campaign(
            session,
            campaigns.CampaignDraft(
                warehouse_id=warehouse.id,
                delivery_date=day,
                opens_at=opens_at or now - timedelta(hours=1),
                cutoff_at=cutoff_at or now + timedelta(hours=1),
                pickup_start=time(14),
                pickup_end=time(20),
            ),
            drafts,
            created_by=operator,
            zone=db.settings.zone,
            now=now,
        )
        item_ids = [i.id for i in await campaigns.campaign_items(session, [campaign.id])]
    point_id, leader_user, leader_token = await approved_pickup_point(db, operator, warehouse.id)
    return Shop(
        operator=operator,
        operator_token=operator_token,
        warehouse_id=warehouse.id,
        campaign_id=campaign.id,
        item_ids=item_ids,
        pickup_point_id=point_id,
        leader_user=leader_user,
        leader_token=leader_token,
        delivery_date=day,
        extra={"supplier_id": supplier.id, "product_id": product_ids[0]},
    )


ORDER_CREATE = """
mutation($input: OrderCreateInput!) {
  orderCreate(input: $input) {
    order { id number status totalFen lines { quantity unitPriceFen amountFen } }
    userErrors { field code message remaining }
  }
}
"""


def order_input(
    shop: Shop, quantities: dict[int, int], key: str | None = None
) -> dict[str, object]:
    """orderCreate's input: {item index: quantity}."""
    return {
        "input": {
            "pickupPointId": shop.pickup_point_gid,
            "lines": [
                {"campaignItemId": shop.item_gid(index), "quantity": quantity}
                for index, quantity in quantities.items()
            ],
            "idempotencyKey": key or uuid.uuid4().hex,
        }
    }
