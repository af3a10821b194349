"""Cash held by a leader (issue 18): cash taken for 代下单 orders shows on the
leader's balance until settled, then in their statement as cash held, and is
deducted from what a payout may take; a refund of a cash order that the
leader hands back counts it off again, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fulfilment.orders.cash import book_cash_returns
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from leaders.commission.errors import CommissionErrorCode
from leaders.commission.payouts import request_payout
from leaders.commission.settlement import settle
from tests.conftest import GraphQLClient, TestDB
from tests.fulfilment.orders.test_cash_payments import mark, resident_order
from tests.support.commission import balances, chained, entries
from tests.support.factories import open_shop
from tests.support.ordering import ORDER_CANCEL

BALANCE = "{ commissionBalance { pendingFen availableFen cashHeldFen } }"
STATEMENTS = """{ statements { nodes { accruedFen reversedFen cashHeldFen totalFen
  openingFen closingFen lineCount } } }"""


async def _leader_id(db: TestDB, user_id: int) -> int:
    return int(await db.scalar("SELECT id FROM leaders WHERE user_id = :u", u=user_id))


async def _settle_next_period(db: TestDB) -> None:
    """Settle the newest period closed a week and a window from now: the
    one the cash taken now falls in."""
    later = utcnow() + timedelta(days=8, hours=db.settings.after_sale_window_hours + 1)
    async with unit_of_work(db.sessions) as session:
        await settle(session, later, db.settings)


async def test_cash_held_is_settled_and_deducted_from_the_payout(db: TestDB, gql: GraphQLClient):
    shop = await open_shop(db)
    leader = await _leader_id(db, shop.leader_user.id)
    order = await resident_order(gql, shop)
    await mark(gql, order["id"], shop.leader_token)
    balance = (await gql(BALANCE, token=shop.leader_token))["data"]["commissionBalance"]
    assert balance == {"pendingFen": -1980, "availableFen": 0, "cashHeldFen": 1980}

    await _settle_next_period(db)
    assert await balances(db, leader) == (0, -1980)
    [statement] = (await gql(STATEMENTS, token=shop.leader_token))["data"]["statements"]["nodes"]
    assert statement == {
        "accruedFen": 0,
        "reversedFen": 0,
        "cashHeldFen": 1980,
        "totalFen": -1980,
        "openingFen": 0,
        "closingFen": -1980,
        "lineCount": 1,
    }
    balance = (await gql(BALANCE, token=shop.leader_token))["data"]["commissionBalance"]
    assert balance["cashHeldFen"] == 0  # deducted by the statement now
    # The cash is deducted from what can be paid out: nothing is available.
    with pytest.raises(DomainError) as refused:
        async with unit_of_work(db.sessions) as session:
            await request_payout(session, leader, 2_000, "k1", utcnow(), db.settings)
    assert refused.value.code is CommissionErrorCode.INSUFFICIENT_BALANCE
    assert chained(await entries(db, leader))


async def test_a_refund_handed_back_in_cash_reduces_the_cash_held(db: TestDB, gql: GraphQLClient):
    shop = await open_shop(db)
    leader = await _leader_id(db, shop.leader_user.id)
    order = await resident_order(gql, shop)
    await mark(gql, order["id"], shop.leader_token)
    # The leader cancels the order they placed: refunded whole, in cash.
    body = await gql(ORDER_CANCEL, {"id": order["id"]}, token=shop.leader_token)
    assert body["data"]["orderCancel"]["userErrors"] == []
    refund_id = int(await db.scalar("SELECT id FROM refunds"))
    assert await db.scalar("SELECT transaction_id FROM refunds") is None
    async with unit_of_work(db.sessions) as session:
        # Not handed back yet: nothing to count.
        assert await book_cash_returns(session, utcnow()) == 0
    async with db.engine.begin() as conn:
        # What the refund sender does to a refund of a cash order.
        await conn.exec_driver_sql(
            "UPDATE refunds SET state = 'success', succeeded_at = created_at "
            f"WHERE id = {refund_id}"
        )
    async with unit_of_work(db.sessions) as session:
        assert await book_cash_returns(session, utcnow(), [refund_id]) == 1
    async with unit_of_work(db.sessions) as session:
        assert await book_cash_returns(session, utcnow()) == 0  # once
    rows = await entries(db, leader)
    assert [(r["kind"], r["amount_fen"]) for r in rows] == [
        ("cash_held", -1980),
        ("cash_returned", 1980),
    ]
    assert rows[1]["refund_id"] == refund_id
    balance = (await gql(BALANCE, token=shop.leader_token))["data"]["commissionBalance"]
    assert balance == {"pendingFen": 0, "availableFen": 0, "cashHeldFen": 0}

    await _settle_next_period(db)
    [statement] = (await gql(STATEMENTS, token=shop.leader_token))["data"]["statements"]["nodes"]
    assert (statement["cashHeldFen"], statement["totalFen"], statement["lineCount"]) == (0, 0, 2)
    assert await balances(db, leader) == (0, 0)
    assert chained(await entries(db, leader))
