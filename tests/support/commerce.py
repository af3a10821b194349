"""Helpers shared by the catalogue, campaign and order-rule tests: a snapshot
of everything a refused mutation must leave alone, GraphQL calls that
assert success, and direct database tweaks for setups the API refuses."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from api.graphql.ids import encode
from fulfilment.campaigns import catalog
from fulfilment.campaigns.models import Campaign, StorageZone
from fulfilment.campaigns.warehouses import create_warehouse
from kernel.accounts import User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.geo import LatLon
from tests.conftest import TestDB

TABLES = (
    "users",
    "api_tokens",
    "suppliers",
    "supplier_members",
    "products",
    "warehouses",
    "campaigns",
    "campaign_items",
    "leaders",
    "pickup_points",
    "service_areas",
    "orders",
    "order_lines",
    "refunds",
    "customer_bindings",
)


async def snapshot(db: TestDB) -> dict[str, Any]:
    """Row counts of every commerce table, each item's reservation and each
    order's status: equal before and after means nothing changed."""
    out: dict[str, Any] = {}
    async with db.engine.connect() as conn:
        for table in TABLES:
            out[table] = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
        out["reserved"] = (
            await conn.execute(text("SELECT id, reserved FROM campaign_items ORDER BY id"))
        ).all()
        out["order_status"] = (
            await conn.execute(text("SELECT id, status FROM orders ORDER BY id"))
        ).all()
        out["service_area"] = (
            await conn.execute(
                text("SELECT pickup_point_id, warehouse_id FROM service_areas ORDER BY 1")
            )
        ).all()
    return out


def user_errors(body: dict[str, Any], mutation: str) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    errors: list[dict[str, Any]] = body["data"][mutation]["userErrors"]
    return errors


def codes(body: dict[str, Any], mutation: str) -> list[str]:
    return [e["code"] for e in user_errors(body, mutation)]


def ok(body: dict[str, Any], mutation: str) -> dict[str, Any]:
    """The payload of a mutation that must have succeeded."""
    assert user_errors(body, mutation) == [], body
    payload: dict[str, Any] = body["data"][mutation]
    return payload


async def reserved(db: TestDB, item_id: int) -> int:
    value = await db.scalar("SELECT reserved FROM campaign_items WHERE id = :i", i=item_id)
    return int(value)


async def move_campaign(
    db: TestDB, campaign_id: int, *, opens_at: datetime, cutoff_at: datetime
) -> None:
    """Set a campaign's sale window directly (the API refuses past cutoffs)."""
    async with unit_of_work(db.sessions) as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.opens_at = opens_at
        campaign.cutoff_at = cutoff_at


async def close_campaign(db: TestDB, campaign_id: int) -> None:
    now = utcnow()
    await move_campaign(
        db, campaign_id, opens_at=now - timedelta(hours=3), cutoff_at=now - timedelta(hours=1)
    )


async def make_warehouse(
    db: TestDB, operator: User, location: LatLon = LatLon(28.35, 112.82), name: str | None = None
) -> int:
    async with unit_of_work(db.sessions) as session:
        warehouse = await create_warehouse(
            session,
            name=name or f"仓-{uuid.uuid4().hex[:6]}",
            address="长沙市",
            location=location,
            created_by=operator,
        )
        return warehouse.id


async def make_product(db: TestDB, supplier_id: int | None = None, name: str = "脐橙") -> int:
    """A product (of a new supplier unless one is given); its database id."""
    async with unit_of_work(db.sessions) as session:
        if supplier_id is None:
            supplier = await catalog.create_supplier(
                session,
                name=f"供应商-{uuid.uuid4().hex[:6]}",
                contact_name="老李",
                contact_phone="13700137000",
            )
            supplier_id = supplier.id
        product = await catalog.create_product(
            session,
            catalog.ProductDraft(
                supplier_id=supplier_id,
                name=name,
                category="水果",
                unit="5斤/箱",
                weight_g=2500,
                volume_ml=6000,
                case_pack=4,
                cost_fen=1500,
                storage_zone=StorageZone.AMBIENT,
            ),
        )
        return product.id


def gid(type_name: str, db_id: int) -> str:
    return encode(type_name, db_id)
