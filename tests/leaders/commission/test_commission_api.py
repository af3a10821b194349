"""Commission through GraphQL: operators set rates and levels and run
settlement; a leader sees only their own balance, ledger, statements and
payouts; customers and suppliers are refused; payouts go through approval,
a CSV batch and paid."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.clock import utcnow
from leaders.commission.settlement import latest_closed_period, period_end_at
from tests.conftest import GraphQLClient, TestDB, app_client, error_codes
from tests.fulfilment.purchasing.test_purchase_orders_api import finished
from tests.support.commission import Team, do_accrue, line, team

BALANCE = """query($l: ID) { commissionBalance(leaderId: $l) {
  pendingFen availableFen level { code } } }"""


ENTRIES = """query($l: ID, $after: String) { ledgerEntries(leaderId: $l, first: 2, after: $after) {
  nodes { id kind account amountFen balanceBeforeFen balanceAfterFen orderLineId }
  pageInfo { hasNextPage endCursor } } }"""


STATEMENTS = """query { statements { nodes { id totalFen lineCount openingFen closingFen
  lines { nodes { amountFen orderLineId kind } } } } }"""


NODE = "query($id: ID!) { node(id: $id) { id } }"


RATE = """mutation($i: CommissionRateSetInput!) { commissionRateSet(input: $i) {
  categoryRate { category rateBps } productRate { productId rateBps }
  userErrors { code field } } }"""


LEVEL = """mutation($i: LeaderLevelSetInput!) { leaderLevelSet(input: $i) {
  level { code bonusBps } userErrors { code } } }"""


SETTLE = """mutation { settlementRun(input: {}) { job { id } userErrors { code } } }"""


REQUEST = """mutation($a: Int!, $k: String!) { payoutRequest(input: {amountFen: $a,
  idempotencyKey: $k}) { payout { id status amountFen transferFen } userErrors { code } } }"""


APPROVE = """mutation($id: ID!) { payoutApprove(input: {id: $id}) {
  payout { status } userErrors { code } } }"""


REJECT = """mutation($id: ID!) { payoutReject(input: {id: $id, reason: "信息有误"}) {
  payout { status reason } userErrors { code } } }"""


EXPORT = """mutation { payoutBatchExport { batch { id payoutCount transferFen downloadUrl }
  userErrors { code } } }"""


PAID = """mutation($id: ID!) { payoutBatchMarkPaid(input: {id: $id}) {
  batch { paidAt } userErrors { code } } }"""


PAYOUTS = "query { payouts { nodes { id status leader { id } } } }"


def data(body: dict[str, Any], field: str) -> Any:
    assert "errors" not in body, body
    return body["data"][field]


async def team_with_sales_in_the_closed_period(db: TestDB) -> Team:
    """An operator and two leaders, a and b, with lines picked up a day before
    the latest closed period ended: 10,000 fen of vegetables and 5,000 fen for
    a, 20,000 fen for b. Booked before the app starts: its hourly sweep
    settles the closed period."""
    t = await team(db, 2)
    a, b = t.leaders
    period = latest_closed_period(utcnow(), db.settings)
    picked = period_end_at(period, db.settings) - timedelta(days=1)
    await do_accrue(
        db,
        line(1, a, 10_000, category="蔬菜", picked_up_at=picked),
        line(2, a, 5_000, picked_up_at=picked),
        line(3, b, 20_000, picked_up_at=picked),
    )
    return t


async def set_rate(gql: GraphQLClient, token: str, **rate: Any) -> Any:
    """commissionRateSet with ``rate`` as its input."""
    return data(await gql(RATE, {"i": rate}, token), "commissionRateSet")


async def set_gold_level(gql: GraphQLClient, token: str) -> Any:
    """leaderLevelSet: gold (金牌) from 1,000,000 yuan a month, 0.5 % bonus."""
    return data(
        await gql(
            LEVEL,
            {
                "i": {
                    "code": "gold",
                    "name": "金牌",
                    "minMonthlySalesFen": 100_000_000,
                    "bonusBps": 50,
                }
            },
            token,
        ),
        "leaderLevelSet",
    )


async def ledger(gql: GraphQLClient, token: str, **variables: Any) -> Any:
    """A page of ledgerEntries."""
    return data(await gql(ENTRIES, variables, token=token), "ledgerEntries")


async def request_payout(gql: GraphQLClient, token: str, amount_fen: int, key: str) -> Any:
    """The payout payoutRequest made."""
    return data(await gql(REQUEST, {"a": amount_fen, "k": key}, token), "payoutRequest")["payout"]


async def download(gql: GraphQLClient, url: str, token: str) -> Any:
    """GET ``url`` with ``token``."""
    return await gql.http.get(url, headers={"Authorization": f"Bearer {token}"})


async def test_leaders_money_through_the_api(db: TestDB) -> None:
    t = await team_with_sales_in_the_closed_period(db)
    b, op = t.leaders[1], t.operator_token
    async with app_client(db.url, jobs_mode="inline") as gql:
        # Rates and a level set by the operator (vegetables at 12 %), for
        # accruals from now on: the lines booked above keep the default 10 %.
        rate = await set_rate(gql, op, category="蔬菜", rateBps=1200)
        assert rate["categoryRate"] == {"category": "蔬菜", "rateBps": 1200}
        bad = await set_rate(gql, op, category="蔬菜", rateBps=10_001)
        assert [e["code"] for e in bad["userErrors"]] == ["INVALID_RATE"]
        neither = await set_rate(gql, op, rateBps=100)
        assert [e["code"] for e in neither["userErrors"]] == ["INVALID"]
        level = await set_gold_level(gql, op)
        assert level["level"] == {"code": "gold", "bonusBps": 50}
        job = data(await gql(SETTLE, token=op), "settlementRun")["job"]
        assert (await finished(gql, op, job["id"]))["status"] == "SUCCEEDED"

        # The leader's own money: balance, ledger pages, statements and lines.
        mine = t.tokens[0]
        assert data(await gql(BALANCE, token=mine), "commissionBalance") == {
            "pendingFen": 0,
            "availableFen": 1000 + 500,
            "level": None,
        }
        page = data(await gql(ENTRIES, token=mine), "ledgerEntries")
        assert [n["kind"] for n in page["nodes"]] == ["ACCRUAL", "ACCRUAL"]
        assert page["pageInfo"]["hasNextPage"]
        rest = await ledger(gql, mine, after=page["pageInfo"]["endCursor"])
        assert [(n["kind"], n["account"]) for n in rest["nodes"]] == [
            ("SETTLEMENT", "PENDING"),
            ("SETTLEMENT", "AVAILABLE"),
        ]
        [statement] = data(await gql(STATEMENTS, token=mine), "statements")["nodes"]
        assert statement["totalFen"] == 1500 and statement["lineCount"] == 2
        assert sorted(n["orderLineId"] for n in statement["lines"]["nodes"]) == [1, 2]

        # Another leader's money reads as missing; an operator sees it.
        theirs = data(await gql(ENTRIES, {"l": encode("Leader", b)}, token=mine), "ledgerEntries")
        assert theirs["nodes"] == []
        entry_of_a = page["nodes"][0]["id"]
        assert data(await gql(NODE, {"id": entry_of_a}, token=t.tokens[1]), "node") is None
        assert data(await gql(NODE, {"id": entry_of_a}, token=op), "node") == {"id": entry_of_a}
        assert (
            data(await gql(BALANCE, {"l": encode("Leader", b)}, op), "commissionBalance")[
                "availableFen"
            ]
            == 2000
        )
        for role in (Role.CUSTOMER, Role.SUPPLIER):
            _, token = await db.user(role)
            assert error_codes(await gql(BALANCE, token=token)) == ["FORBIDDEN"]
            assert error_codes(await gql(REQUEST, {"a": 1000, "k": "x"}, token)) == ["FORBIDDEN"]
        assert error_codes(await gql(BALANCE)) == ["UNAUTHENTICATED"]

        # Payouts: over the balance refused; one rejected, one paid in a batch.
        over = data(await gql(REQUEST, {"a": 1501, "k": "k0"}, mine), "payoutRequest")
        assert [e["code"] for e in over["userErrors"]] == ["INSUFFICIENT_BALANCE"]
        first = await request_payout(gql, mine, 1000, "k1")
        second = await request_payout(gql, t.tokens[1], 1500, "k2")
        assert first["status"] == "REQUESTED"
        # A leader cannot decide payouts.
        assert error_codes(await gql(APPROVE, {"id": first["id"]}, mine)) == ["FORBIDDEN"]
        rejected = data(await gql(REJECT, {"id": first["id"]}, op), "payoutReject")["payout"]
        assert rejected == {"status": "REJECTED", "reason": "信息有误"}
        assert data(await gql(BALANCE, token=mine), "commissionBalance")["availableFen"] == 1500
        approved = data(await gql(APPROVE, {"id": second["id"]}, op), "payoutApprove")
        assert approved["payout"] == {"status": "APPROVED"}
        batch = data(await gql(EXPORT, token=op), "payoutBatchExport")["batch"]
        assert (batch["payoutCount"], batch["transferFen"]) == (1, 1500)
        response = await download(gql, batch["downloadUrl"], op)
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][5] == "转账金额(元)" and rows[1][5] == "15.00"
        hidden = await download(gql, batch["downloadUrl"], mine)
        assert hidden.status_code == 404
        paid = data(await gql(PAID, {"id": batch["id"]}, op), "payoutBatchMarkPaid")
        assert paid["batch"]["paidAt"] is not None
        # Each leader lists only their own payouts.
        listed = data(await gql(PAYOUTS, token=t.tokens[1]), "payouts")["nodes"]
        assert [(p["status"], p["leader"]["id"]) for p in listed] == [("PAID", encode("Leader", b))]


async def test_operator_sets_a_recruiter_once(gql: GraphQLClient, db: TestDB) -> None:
    t = await team(db, 2)
    a, b = t.leaders
    mutation = """mutation($id: ID!, $r: ID!) { leaderRecruiterSet(input: {id: $id,
      recruiterId: $r}) { leader { id } userErrors { code } } }"""
    ids = {"id": encode("Leader", b), "r": encode("Leader", a)}
    done = data(await gql(mutation, ids, t.operator_token), "leaderRecruiterSet")
    assert done["userErrors"] == []
    again = data(await gql(mutation, ids, t.operator_token), "leaderRecruiterSet")
    assert [e["code"] for e in again["userErrors"]] == ["RECRUITER_ALREADY_SET"]
    back = {"id": encode("Leader", a), "r": encode("Leader", b)}
    cycle = data(await gql(mutation, back, t.operator_token), "leaderRecruiterSet")
    assert [e["code"] for e in cycle["userErrors"]] == ["INVALID_RECRUITER"]
    assert error_codes(await gql(mutation, ids, t.tokens[0])) == ["FORBIDDEN"]


SETTLE_PERIOD = """
mutation($end: Date!) {
  settlementRun(input: {periodEnd: $end}) { job { id } userErrors { field code message } }
}
"""


async def test_a_period_before_a_settled_one_is_refused_at_once(db: TestDB) -> None:
    t = await team_with_sales_in_the_closed_period(db)
    op = t.operator_token
    latest = latest_closed_period(utcnow(), db.settings)
    earlier = latest - timedelta(days=db.settings.settlement_period_days)
    async with app_client(db.url, jobs_mode="inline") as gql:
        job = data(await gql(SETTLE_PERIOD, {"end": latest.isoformat()}, token=op), "settlementRun")
        assert (await finished(gql, op, job["job"]["id"]))["status"] == "SUCCEEDED"
        jobs = await db.scalar("SELECT count(*) FROM jobs")
        refused = data(
            await gql(SETTLE_PERIOD, {"end": earlier.isoformat()}, token=op), "settlementRun"
        )
        assert refused["job"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["periodEnd"], "PERIOD_NOT_CLOSED")
        ]
        assert await db.scalar("SELECT count(*) FROM jobs") == jobs
        # The settled period itself may be asked for again: it changes nothing.
        again = data(
            await gql(SETTLE_PERIOD, {"end": latest.isoformat()}, token=op), "settlementRun"
        )
        assert again["userErrors"] == []
