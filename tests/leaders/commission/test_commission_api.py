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
from tests.support.commission import do_accrue, line, team

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


async def test_leaders_money_through_the_api(db: TestDB) -> None:
    t = await team(db, 2)
    a, b = t.leaders
    op = t.operator_token
    period = latest_closed_period(utcnow(), db.settings)
    picked = period_end_at(period, db.settings) - timedelta(days=1)
    # Booked before the app starts: its hourly sweep settles the closed period.
    await do_accrue(
        db,
        line(1, a, 10_000, category="蔬菜", picked_up_at=picked),
        line(2, a, 5_000, picked_up_at=picked),
        line(3, b, 20_000, picked_up_at=picked),
    )
    async with app_client(db.url, jobs_mode="inline") as gql:
        # Rates and a level set by the operator (vegetables at 12 %), for
        # accruals from now on: the lines booked above keep the default 10 %.
        rate = data(
            await gql(RATE, {"i": {"category": "蔬菜", "rateBps": 1200}}, op), "commissionRateSet"
        )
        assert rate["categoryRate"] == {"category": "蔬菜", "rateBps": 1200}
        bad = data(
            await gql(RATE, {"i": {"category": "蔬菜", "rateBps": 10_001}}, op), "commissionRateSet"
        )
        assert [e["code"] for e in bad["userErrors"]] == ["INVALID_RATE"]
        neither = data(await gql(RATE, {"i": {"rateBps": 100}}, op), "commissionRateSet")
        assert [e["code"] for e in neither["userErrors"]] == ["INVALID"]
        level = data(
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
                op,
            ),
            "leaderLevelSet",
        )
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
        rest = data(
            await gql(ENTRIES, {"after": page["pageInfo"]["endCursor"]}, token=mine),
            "ledgerEntries",
        )
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
        first = data(await gql(REQUEST, {"a": 1000, "k": "k1"}, mine), "payoutRequest")["payout"]
        second = data(await gql(REQUEST, {"a": 1500, "k": "k2"}, t.tokens[1]), "payoutRequest")[
            "payout"
        ]
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
        response = await gql.http.get(
            batch["downloadUrl"], headers={"Authorization": f"Bearer {op}"}
        )
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][5] == "转账金额(元)" and rows[1][5] == "15.00"
        hidden = await gql.http.get(
            batch["downloadUrl"], headers={"Authorization": f"Bearer {mine}"}
        )
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
