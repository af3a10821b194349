"""Registering and reading warehouses."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Warehouse
from kernel.accounts import User
from kernel.db import keyset_page
from kernel.errors import DomainError
from kernel.geo import LatLon
from kernel.validation import clean_text


async def create_warehouse(
    session: AsyncSession, *, name: str, address: str, location: LatLon, created_by: User
) -> Warehouse:
    """Register a warehouse at a WGS-84 location; names are unique."""
    name = clean_text(name, ["name"], max_len=100)
    address = clean_text(address, ["address"], max_len=300)
    taken = await session.execute(select(Warehouse.id).where(Warehouse.name == name))
    if taken.first() is not None:
        raise DomainError(
            CampaignErrorCode.DUPLICATE_NAME,
            f"A warehouse named {name!r} exists already.",
            ["name"],
        )
    warehouse = Warehouse(
        name=name, address=address, lat=location.lat, lon=location.lon, created_by_id=created_by.id
    )
    session.add(warehouse)
    await session.flush()
    return warehouse


async def list_warehouses(
    session: AsyncSession, *, after_id: int | None, limit: int
) -> Sequence[Warehouse]:
    """Warehouses in id order after ``after_id`` (keyset pagination)."""
    stmt = keyset_page(select(Warehouse), Warehouse.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()
