"""campaignCreate: a campaign with its items, its times (offsets, the cutoff
against the delivery date, the pickup window), one per warehouse, date and cutoff,
bad items refusing the whole campaign, and operators only."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kernel.accounts import Role
from kernel.clock import utcnow
from tests.support.campaigns import ITEM_FIELDS, item
from tests.support.commerce import (
    codes,
    gid,
    make_product,
    make_warehouse,
    ok,
    snapshot,
    user_errors,
)
from tests.support.factories import delivery_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


CAMPAIGN_CREATE = f"""
mutation($input: CampaignCreateInput!) {{
  campaignCreate(input: $input) {{
    campaign {{
      id deliveryDate opensAt cutoffAt status pickupWindow {{ start end }}
      warehouse {{ id name }}
      items {{ {ITEM_FIELDS} }}
    }}
    userErrors {{ field code message }}
  }}
}}
"""


async def setup(db: Any) -> tuple[Any, str, int, list[int]]:
    """An operator (user, token), a warehouse and two products."""
    user, token = await db.user(Role.OPERATOR, "运营")
    warehouse_id = await make_warehouse(db, user, name="望城仓")
    products = [await make_product(db, name="赣南脐橙"), await make_product(db, name="砀山梨")]
    return user, token, warehouse_id, products


def campaign_input(
    warehouse_id: int, items: list[dict[str, Any]], **changes: Any
) -> dict[str, Any]:
    now = utcnow()
    value: dict[str, Any] = {
        "warehouseId": gid("Warehouse", warehouse_id),
        "deliveryDate": delivery_day().isoformat(),
        "opensAt": (now - timedelta(hours=1)).isoformat(),
        "cutoffAt": (now + timedelta(hours=1)).isoformat(),
        "pickupWindow": {"start": "14:00", "end": "20:00"},
        "items": items,
    }
    value.update(changes)
    return {"input": value}


def delivery_midnight() -> datetime:
    """The start of the delivery date in the platform's zone."""
    return datetime.combine(delivery_day(), time(0), SHANGHAI)


async def test_operator_creates_campaign_with_items(db, gql):
    _, token, warehouse_id, (orange, pear) = await setup(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(
            warehouse_id,
            [
                item(
                    orange,
                    groupPriceFen=1990,
                    listPriceFen=2990,
                    cap=100,
                    perCustomerLimit=3,
                    groupThreshold=20,
                ),
                item(pear, groupPriceFen=500, listPriceFen=500),
            ],
        ),
        token=token,
    )
    campaign = ok(body, "campaignCreate")["campaign"]
    assert campaign["deliveryDate"] == delivery_day().isoformat()
    assert campaign["status"] == "OPEN"
    assert campaign["pickupWindow"] == {"start": "14:00:00", "end": "20:00:00"}
    assert campaign["warehouse"]["name"] == "望城仓"
    first, second = campaign["items"]
    assert first["product"]["name"] == "赣南脐橙"
    assert {k: first[k] for k in first if k not in ("id", "product")} == {
        "groupPriceFen": 1990,
        "listPriceFen": 2990,
        "cap": 100,
        "perCustomerLimit": 3,
        "groupThreshold": 20,
        "reserved": 0,
        "remaining": 100,
        "soldOut": False,
    }
    assert second["product"]["name"] == "砀山梨"
    assert (second["cap"], second["perCustomerLimit"], second["groupThreshold"]) == (
        None,
        None,
        None,
    )
    assert second["remaining"] is None
    assert second["soldOut"] is False
    assert await db.scalar("SELECT count(*) FROM campaign_items") == 2

    listed = await gql("{ campaigns { nodes { id status items { id } } } }", token=token)
    assert [c["id"] for c in listed["data"]["campaigns"]["nodes"]] == [campaign["id"]]


async def test_times_with_offset_are_kept_as_the_same_instant(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    now = utcnow().replace(microsecond=0)
    opens = (now - timedelta(hours=1)).astimezone(SHANGHAI)
    cutoff = (now + timedelta(hours=1)).astimezone(ZoneInfo("America/New_York"))
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(
            warehouse_id, [item(orange)], opensAt=opens.isoformat(), cutoffAt=cutoff.isoformat()
        ),
        token=token,
    )
    campaign = ok(body, "campaignCreate")["campaign"]
    assert datetime.fromisoformat(campaign["opensAt"]) == opens
    assert datetime.fromisoformat(campaign["cutoffAt"]) == cutoff


async def test_cutoff_may_be_the_start_of_the_delivery_date(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(warehouse_id, [item(orange)], cutoffAt=delivery_midnight().isoformat()),
        token=token,
    )
    campaign = ok(body, "campaignCreate")["campaign"]
    assert datetime.fromisoformat(campaign["cutoffAt"]) == delivery_midnight()


def bad_times(now: datetime) -> dict[str, dict[str, str]]:
    midnight_utc = datetime.combine(delivery_day() - timedelta(days=1), time(23, 30), UTC)
    return {
        "cutoff before opens": {
            "opensAt": (now + timedelta(hours=2)).isoformat(),
            "cutoffAt": (now + timedelta(hours=1)).isoformat(),
        },
        "cutoff equals opens": {
            "opensAt": (now + timedelta(hours=1)).isoformat(),
            "cutoffAt": (now + timedelta(hours=1)).isoformat(),
        },
        "cutoff after the delivery date starts": {
            "cutoffAt": (delivery_midnight() + timedelta(minutes=1)).isoformat()
        },
        # 23:30 UTC the day before is 07:30 on the delivery date in Shanghai.
        "cutoff on the delivery date in Shanghai": {"cutoffAt": midnight_utc.isoformat()},
        "cutoff already past": {
            "opensAt": (now - timedelta(hours=3)).isoformat(),
            "cutoffAt": (now - timedelta(minutes=1)).isoformat(),
        },
    }


async def test_bad_times_are_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    for case, times in bad_times(utcnow()).items():
        body = await gql(
            CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange)], **times), token=token
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TIMES", ["cutoffAt"])], case
        assert body["data"]["campaignCreate"]["campaign"] is None, case
        assert await snapshot(db) == before, case


async def test_pickup_window_must_start_before_it_ends(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(
            warehouse_id, [item(orange)], pickupWindow={"start": "20:00", "end": "14:00"}
        ),
        token=token,
    )
    assert codes(body, "campaignCreate") == ["INVALID_TIMES"]
    assert await snapshot(db) == before


async def test_naive_datetime_is_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    now = utcnow()
    naive = {
        "opensAt": (now - timedelta(hours=1)).replace(tzinfo=None).isoformat(),
        "cutoffAt": (now + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
    }
    for field, value in naive.items():
        body = await gql(
            CAMPAIGN_CREATE,
            campaign_input(warehouse_id, [item(orange)], **{field: value}),
            token=token,
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", [field])]
        assert await snapshot(db) == before


async def test_second_campaign_with_the_same_date_and_cutoff_is_refused(db, gql):
    operator, token, warehouse_id, (orange, pear) = await setup(db)
    first = campaign_input(warehouse_id, [item(orange)])
    ok(await gql(CAMPAIGN_CREATE, first, token=token), "campaignCreate")
    before = await snapshot(db)
    twice = {"input": {**first["input"], "items": [item(pear)]}}
    body = await gql(CAMPAIGN_CREATE, twice, token=token)
    assert codes(body, "campaignCreate") == ["CAMPAIGN_EXISTS"]
    assert await snapshot(db) == before
    # Another cutoff for the same date is another campaign (a presale).
    earlier = datetime.fromisoformat(first["input"]["cutoffAt"]) - timedelta(minutes=30)
    presale = {"input": {**twice["input"], "cutoffAt": earlier.isoformat()}}
    ok(await gql(CAMPAIGN_CREATE, presale, token=token), "campaignCreate")
    # Another warehouse may sell on the same date.
    other = await make_warehouse(db, operator, name="雨花仓")
    ok(
        await gql(CAMPAIGN_CREATE, campaign_input(other, [item(orange)]), token=token),
        "campaignCreate",
    )


BAD_ITEMS = [
    ({"groupPriceFen": 1300, "listPriceFen": 1290}, "INVALID_PRICE", ["items", "1"]),
    ({"groupPriceFen": 0, "listPriceFen": 1290}, "INVALID_PRICE", ["items", "1"]),
    # Refused at the edge, before the domain's own check sees it.
    ({"groupPriceFen": -5, "listPriceFen": 1290}, "OUT_OF_RANGE", ["items", "1", "groupPriceFen"]),
    ({"cap": 0}, "INVALID", ["items", "1", "cap"]),
    ({"cap": -3}, "INVALID", ["items", "1", "cap"]),
    ({"perCustomerLimit": 0}, "INVALID", ["items", "1", "perCustomerLimit"]),
    ({"groupThreshold": -1}, "INVALID", ["items", "1", "groupThreshold"]),
]


async def test_bad_item_refuses_the_whole_campaign(db, gql):
    _, token, warehouse_id, (orange, pear) = await setup(db)
    before = await snapshot(db)
    for changes, code, field in BAD_ITEMS:
        body = await gql(
            CAMPAIGN_CREATE,
            campaign_input(warehouse_id, [item(orange), item(pear, **changes)]),
            token=token,
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], changes
        assert await snapshot(db) == before, changes


async def test_same_product_twice_is_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    body = await gql(
        CAMPAIGN_CREATE,
        campaign_input(warehouse_id, [item(orange), item(orange, groupPriceFen=800)]),
        token=token,
    )
    assert codes(body, "campaignCreate") == ["DUPLICATE_ITEM"]
    assert await snapshot(db) == before


async def test_unknown_product_is_refused(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    body = await gql(
        CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange), item(9999)]), token=token
    )
    errors = user_errors(body, "campaignCreate")
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["items", "1", "productId"])]
    assert await snapshot(db) == before


async def test_only_operators_create_campaigns(db, gql):
    _, _, warehouse_id, (orange, _) = await setup(db)
    _, customer = await db.user(Role.CUSTOMER, "居民")
    before = await snapshot(db)
    body = await gql(CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange)]), token=customer)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await snapshot(db) == before


async def test_times_without_or_with_a_wrong_offset_are_refused_at_the_edge(db, gql):
    _, token, warehouse_id, (orange, _) = await setup(db)
    before = await snapshot(db)
    naive = (utcnow() + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"cutoffAt": naive}, ["cutoffAt"]),
        ({"pickupWindow": {"start": "14:00", "end": "20:00+00:00"}}, ["pickupWindow", "end"]),
    ]
    for changes, field in cases:
        body = await gql(
            CAMPAIGN_CREATE, campaign_input(warehouse_id, [item(orange)], **changes), token=token
        )
        errors = user_errors(body, "campaignCreate")
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", field)], changes
        assert await snapshot(db) == before
