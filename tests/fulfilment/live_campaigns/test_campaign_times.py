"""campaignUpdate: a live campaign's own times move under the rules of a
new campaign (cutoff in the future and no later than the delivery date,
pickup window in order), its opening only before it opens, nothing after
the cutoff, one campaign per warehouse, date and cutoff; bad edits change
nothing and two operators' overlapping edits never both land."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any

from kernel.accounts import Role
from kernel.clock import utcnow
from tests.support.commerce import close_campaign, codes, ok
from tests.support.factories import ORDER_CREATE, Shop, open_shop, order_input

UPDATE = """
mutation($input: CampaignUpdateInput!) {
  campaignUpdate(input: $input) {
    campaign { id opensAt cutoffAt pickupWindow { start end } version status }
    userErrors { field code message }
  }
}
"""


def edit(shop: Shop, version: int = 1, **fields: Any) -> dict[str, Any]:
    return {"input": {"campaignId": shop.campaign_gid, "expectedVersion": version, **fields}}


async def _campaign(gql: Any, shop: Shop) -> dict[str, Any]:
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on Campaign { opensAt cutoffAt version"
        " pickupWindow { start end } } } }",
        {"id": shop.campaign_gid},
        token=shop.operator_token,
    )
    found: dict[str, Any] = body["data"]["node"]
    return found


async def test_the_cutoff_and_pickup_window_move_and_orders_follow_the_new_cutoff(db, gql):
    shop = await open_shop(db)
    later = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    moved = ok(
        await gql(
            UPDATE,
            edit(shop, cutoffAt=later.isoformat(), pickupWindow={"start": "15:00", "end": "21:00"}),
            token=shop.operator_token,
        ),
        "campaignUpdate",
    )["campaign"]
    assert datetime.fromisoformat(moved["cutoffAt"]) == later
    assert (moved["pickupWindow"], moved["version"]) == (
        {"start": "15:00:00", "end": "21:00:00"},
        2,
    )
    # In the audit log, against the campaign, like every staff edit.
    action = await db.scalar(
        "SELECT action FROM audit_events WHERE object_type = 'Campaign' ORDER BY id DESC"
    )
    assert action == "campaignUpdate"

    # Cut off early by an edit: ordering stops at the new time.
    soon = (utcnow() + timedelta(seconds=1)).isoformat()
    ok(await gql(UPDATE, edit(shop, 2, cutoffAt=soon), token=shop.operator_token), "campaignUpdate")
    await asyncio.sleep(1.2)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    late = await gql(ORDER_CREATE, order_input(shop, {0: 1}), token=customer)
    assert codes(late, "orderCreate") == ["CAMPAIGN_CLOSED"]


async def test_bad_times_are_refused_and_change_nothing(db, gql):
    shop = await open_shop(db)
    before = await _campaign(gql, shop)
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    after_delivery = datetime.combine(
        shop.delivery_date + timedelta(days=1), time(8), tzinfo=utcnow().astimezone().tzinfo
    ).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"cutoffAt": past}, "INVALID_TIMES"),
        ({"cutoffAt": after_delivery}, "INVALID_TIMES"),
        ({"cutoffAt": "2030-01-01T00:00:00"}, "INVALID"),  # no offset
        ({"opensAt": (utcnow() + timedelta(minutes=10)).isoformat()}, "INVALID_TIMES"),  # open
        ({"pickupWindow": {"start": "20:00", "end": "14:00"}}, "INVALID_TIMES"),
    ]
    for fields, code in cases:
        body = await gql(UPDATE, edit(shop, **fields), token=shop.operator_token)
        assert codes(body, "campaignUpdate") == [code], fields
    stale = await gql(
        UPDATE,
        edit(shop, 7, pickupWindow={"start": "15:00", "end": "21:00"}),
        token=shop.operator_token,
    )
    assert codes(stale, "campaignUpdate") == ["STALE"]
    assert await _campaign(gql, shop) == before
    body = await gql(UPDATE, edit(shop), token=shop.leader_token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_scheduled_campaign_opens_earlier_or_later(db, gql):
    now = utcnow()
    shop = await open_shop(
        db, opens_at=now + timedelta(hours=1), cutoff_at=now + timedelta(hours=5)
    )
    opens = (now + timedelta(hours=2)).replace(microsecond=0)
    moved = ok(
        await gql(UPDATE, edit(shop, opensAt=opens.isoformat()), token=shop.operator_token),
        "campaignUpdate",
    )["campaign"]
    assert datetime.fromisoformat(moved["opensAt"]) == opens and moved["status"] == "SCHEDULED"
    behind = await gql(
        UPDATE,
        edit(shop, 2, opensAt=(now + timedelta(hours=6)).isoformat()),
        token=shop.operator_token,
    )
    assert codes(behind, "campaignUpdate") == ["INVALID_TIMES"]  # after its cutoff


async def test_a_campaign_that_has_cut_off_no_longer_moves(db, gql):
    shop = await open_shop(db)
    await close_campaign(db, shop.campaign_id)
    later = (utcnow() + timedelta(hours=3)).isoformat()
    body = await gql(UPDATE, edit(shop, cutoffAt=later), token=shop.operator_token)
    assert codes(body, "campaignUpdate") == ["CAMPAIGN_CLOSED"]


async def test_of_two_overlapping_edits_one_lands_and_the_other_is_stale(db, gql):
    shop = await open_shop(db)
    windows = [{"start": "15:00", "end": "21:00"}, {"start": "16:00", "end": "22:00"}]
    first, second = await asyncio.gather(
        *(gql(UPDATE, edit(shop, pickupWindow=w), token=shop.operator_token) for w in windows)
    )
    outcomes = sorted([codes(first, "campaignUpdate"), codes(second, "campaignUpdate")], key=len)
    assert outcomes == [[], ["STALE"]]
    assert (await _campaign(gql, shop))["version"] == 2
