"""A campaign item's status (scheduled, on sale, sold out, closed, cancelled
below its threshold, withdrawn) and the units refunded on it, read through GraphQL at a
constant cost however many items the campaign has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fulfilment.campaigns.campaigns import ItemStatus, item_status
from kernel.accounts import Role
from tests.api.test_pagination import counting_statements
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import Shop, open_shop

NOW = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


@dataclass
class Window:
    opens_at: datetime
    cutoff_at: datetime
    cancelled_at: datetime | None = None


@dataclass
class Item:
    cap: int | None = None
    reserved: int = 0
    cancelled_at: datetime | None = None
    withdrawn_at: datetime | None = None
    sale_starts_at: datetime | None = None
    sale_ends_at: datetime | None = None


OPEN = Window(NOW - timedelta(hours=1), NOW + timedelta(hours=1))


def test_the_status_follows_the_clock_the_cap_and_the_cutoffs_verdict() -> None:
    later = Window(NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    past = Window(NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    assert item_status(Item(cap=5), later, NOW) is ItemStatus.SCHEDULED
    assert item_status(Item(cap=5, reserved=4), OPEN, NOW) is ItemStatus.ON_SALE
    assert item_status(Item(reserved=400), OPEN, NOW) is ItemStatus.ON_SALE
    assert item_status(Item(cap=5, reserved=5), OPEN, NOW) is ItemStatus.SOLD_OUT
    # The cutoff is the first moment the sale is over.
    assert item_status(Item(cap=5, reserved=5), OPEN, OPEN.cutoff_at) is ItemStatus.CLOSED
    assert item_status(Item(), past, NOW) is ItemStatus.CLOSED
    cancelled = Item(cap=5, reserved=5, cancelled_at=past.cutoff_at)
    assert item_status(cancelled, past, NOW) is ItemStatus.CANCELLED_BELOW_THRESHOLD
    withdrawn = Item(cap=5, cancelled_at=NOW, withdrawn_at=NOW)
    assert item_status(withdrawn, OPEN, NOW) is ItemStatus.WITHDRAWN
    called_off = Window(OPEN.opens_at, OPEN.cutoff_at, cancelled_at=NOW)
    assert item_status(Item(cap=5), called_off, NOW) is ItemStatus.CLOSED


def test_an_item_with_its_own_sale_window_is_on_sale_only_inside_it() -> None:
    eight_thirty = NOW + timedelta(minutes=30)
    flash = Item(cap=5, sale_starts_at=eight_thirty)
    assert item_status(flash, OPEN, NOW) is ItemStatus.SCHEDULED
    assert item_status(flash, OPEN, eight_thirty) is ItemStatus.ON_SALE
    morning = Item(sale_ends_at=NOW)
    assert item_status(morning, OPEN, NOW - timedelta(seconds=1)) is ItemStatus.ON_SALE
    # Its end, like the cutoff, is the first moment the sale is over.
    assert item_status(morning, OPEN, NOW) is ItemStatus.CLOSED
    # Withdrawn outranks the window.
    assert item_status(Item(withdrawn_at=NOW, cancelled_at=NOW, sale_ends_at=NOW), OPEN, NOW) is (
        ItemStatus.WITHDRAWN
    )


ITEMS = """
query($id: ID!) { node(id: $id) { ... on Campaign {
  items { status soldOut reserved refundedUnits product { name } }
} } }
"""


async def items(gql: Any, shop: Shop) -> list[dict[str, Any]]:
    body = await gql(ITEMS, {"id": shop.campaign_gid}, token=shop.operator_token)
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["node"]["items"]
    return found


def states(found: list[dict[str, Any]]) -> list[tuple[str, bool, int, int]]:
    return [(i["status"], i["soldOut"], i["reserved"], i["refundedUnits"]) for i in found]


async def test_an_item_cancelled_below_its_threshold_says_so(db: TestDB, gql: Any) -> None:
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290, "cap": 3},
            {"group_price_fen": 350, "list_price_fen": 400, "group_threshold": 5},
            {"group_price_fen": 500, "list_price_fen": 600},
        ],
    )
    assert states(await items(gql, shop)) == [("ON_SALE", False, 0, 0)] * 3

    alice, _ = await db.user(Role.CUSTOMER)
    bob, _ = await db.user(Role.CUSTOMER)
    await order(db, shop, alice, {0: 3, 1: 2}, pay=True)
    await order(db, shop, bob, {1: 1, 2: 1}, pay=True)
    assert states(await items(gql, shop)) == [
        ("SOLD_OUT", True, 3, 0),
        ("ON_SALE", False, 3, 0),
        ("ON_SALE", False, 1, 0),
    ]

    await cut_off(db, shop)  # 3 paid units of the second item, 5 needed
    # The cutoff refunds the missed item's lines but leaves its paid orders
    # holding their units: ``reserved`` stays 3 (its description says so).
    assert states(await items(gql, shop)) == [
        ("CLOSED", True, 3, 0),
        ("CANCELLED_BELOW_THRESHOLD", False, 3, 3),
        ("CLOSED", False, 1, 0),
    ]


async def test_status_and_refunds_cost_the_same_statements_for_1_or_6_items(
    db: TestDB, gql: Any, app_for: Any
) -> None:
    def priced(threshold: int | None) -> dict[str, int | None]:
        return {"group_price_fen": 990, "list_price_fen": 1290, "group_threshold": threshold}

    one = await open_shop(db, items=[priced(2)])
    six = await open_shop(db, items=[priced(2), *(priced(None) for _ in range(5))])
    customer, _ = await db.user(Role.CUSTOMER)
    for shop in (one, six):
        await order(db, shop, customer, {i: 1 for i in range(len(shop.item_ids))}, pay=True)
        await cut_off(db, shop)
    with counting_statements(app_for.state.engine) as few:
        found = await items(gql, one)
    assert [i["status"] for i in found] == ["CANCELLED_BELOW_THRESHOLD"]
    with counting_statements(app_for.state.engine) as many:
        found = await items(gql, six)
    assert [(i["status"], i["refundedUnits"]) for i in found] == [
        ("CANCELLED_BELOW_THRESHOLD", 1),
        *[("CLOSED", 0)] * 5,
    ]
    # One statement each for the campaign, its items, their products and
    # their refunds (status reads the campaign the loader holds already); a
    # loader's batch may split in two when it waits for the session.
    assert len(many) <= len(few) + 1, "\n".join(many)
