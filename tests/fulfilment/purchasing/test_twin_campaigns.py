"""Several campaigns of one warehouse delivering on one date (a weekend's
presale beside the next-day campaign): allowed with different cutoffs,
refused with the same; the day is bought once, when the last is cut off,
with both campaigns' units."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from fulfilment.campaigns import campaigns
from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Campaign
from fulfilment.purchasing.jobs import CUTOFF
from fulfilment.purchasing.models import PurchaseOrderLine
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import order
from tests.support.factories import Shop, open_shop


async def _presale(db: TestDB, shop: Shop, cutoff_at: datetime) -> Shop:
    """A second campaign of the shop's warehouse for its date, the same product."""
    now = utcnow()
    async with unit_of_work(db.sessions) as session:
        campaign = await campaigns.create_campaign(
            session,
            campaigns.CampaignDraft(
                warehouse_id=shop.warehouse_id,
                delivery_date=shop.delivery_date,
                opens_at=now - timedelta(hours=2),
                cutoff_at=cutoff_at,
                pickup_start=time(14),
                pickup_end=time(20),
            ),
            [campaigns.ItemDraft(int(shop.extra["product_id"]), 890, 1290)],
            created_by=shop.operator,
            zone=db.settings.zone,
            now=now,
        )
        items = [i.id for i in await campaigns.campaign_items(session, [campaign.id])]
    return dataclasses.replace(shop, campaign_id=campaign.id, item_ids=items)


async def _cut_off(db: TestDB, campaign_id: int) -> dict[str, object]:
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, CUTOFF, {"campaign_id": campaign_id, "early": True})
    assert await run_job(db.sessions, job.id) is JobStatus.SUCCEEDED
    async with db.sessions() as session:
        done = await session.get(Job, job.id)
        assert done is not None and done.result is not None
        return dict(done.result)


async def test_two_campaigns_for_one_date_are_bought_together_after_the_last_cutoff(db):
    shop = await open_shop(db)
    presale = await _presale(db, shop, utcnow() + timedelta(minutes=30))
    customer, _ = await db.user(Role.CUSTOMER)
    await order(db, shop, customer, {0: 3}, pay=True)
    await order(db, presale, customer, {0: 2}, pay=True)

    first = await _cut_off(db, presale.campaign_id)
    assert first["purchase_orders"] == []  # the next-day campaign still sells
    assert await db.scalar("SELECT count(*) FROM purchase_orders") == 0
    last = await _cut_off(db, shop.campaign_id)
    assert len(last["purchase_orders"]) == 1  # type: ignore[arg-type]
    async with db.sessions() as session:
        ordered = await session.scalars(select(PurchaseOrderLine.ordered_units))
        assert list(ordered) == [5]


async def test_the_same_cutoff_twice_is_refused_and_nothing_is_made(db):
    shop = await open_shop(db)
    async with db.sessions() as session:
        cutoff = await session.scalar(
            select(Campaign.cutoff_at).where(Campaign.id == shop.campaign_id)
        )
    assert cutoff is not None
    with pytest.raises(DomainError) as refused:
        await _presale(db, shop, cutoff)
    assert refused.value.code is CampaignErrorCode.CAMPAIGN_EXISTS
    assert await db.scalar("SELECT count(*) FROM campaigns") == 1
