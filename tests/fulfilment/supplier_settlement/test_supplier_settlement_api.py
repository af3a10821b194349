"""Supplier settlement through GraphQL and the download routes: an operator
issues, the supplier confirms and disputes, the operator resolves and
approves, a pay batch and its bank file, the return-to-supplier document;
and every refusal: another supplier's statement, an approved statement
disputed, approval with a dispute open, malformed IDs, the wrong roles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from api.graphql.ids import encode
from kernel.accounts import Role
from kernel.clock import business_date, utcnow
from leaders.commission.settlement import ANCHOR
from tests.conftest import TestDB, error_codes
from tests.fulfilment.supplier_settlement.day import COST, BuiltDay, received_day
from tests.support.exports import csv_rows, get, other_supplier, supplier_user
from tests.support.pickup import TZ, rows, signed_with_missing

STATEMENT_FIELDS = """
  id state goodsFen chargebackFen feeFen totalFen payableFen lineCount periodStart periodEnd
  supplier { name }
  lines { nodes { id kind units amountFen adjustmentFen netFen state disputeReason returnUrl } }
"""

ISSUE = f"""
mutation($input: SupplierStatementIssueInput!) {{
  supplierStatementIssue(input: $input) {{
    statements {{ {STATEMENT_FIELDS} }}
    userErrors {{ code field }}
  }}
}}
"""

LIST = f"""
query($supplierId: ID) {{
  supplierStatements(supplierId: $supplierId) {{ nodes {{ {STATEMENT_FIELDS} }} }}
}}
"""

ONE = "query($id: ID!) { supplierStatement(id: $id) { id totalFen } }"

LINE_PAYLOAD = "line { id state adjustmentFen netFen } statement { totalFen state } "
LINE_PAYLOAD += "userErrors { code field remaining }"

CONFIRM = f"""
mutation($id: ID!) {{
  supplierStatementLineConfirm(input: {{lineId: $id}}) {{ {LINE_PAYLOAD} }}
}}
"""

DISPUTE = f"""
mutation($id: ID!, $reason: String!) {{
  supplierStatementLineDispute(input: {{lineId: $id, reason: $reason}}) {{ {LINE_PAYLOAD} }}
}}
"""

RESOLVE = f"""
mutation($id: ID!, $fen: Int!, $note: String!) {{
  supplierDisputeResolve(input: {{lineId: $id, adjustmentFen: $fen, note: $note}}) {{
    {LINE_PAYLOAD}
  }}
}}
"""

APPROVE = """
mutation($id: ID!) {
  supplierStatementApprove(input: {id: $id}) {
    statement { state payableFen carriedForwardFen } userErrors { code field remaining }
  }
}
"""

BATCH = """
mutation { supplierPayBatchCreate(input: {}) {
  batch { id statementCount totalFen downloadUrl paidAt } userErrors { code }
} }
"""

ACCOUNT = """
mutation($input: SupplierBankAccountSetInput!) { supplierBankAccountSet(input: $input) {
  accountNumberTail userErrors { code field }
} }
"""

PAID = """
mutation($id: ID!) { supplierPayBatchMarkPaid(input: {id: $id}) {
  batch { paidAt } userErrors { code }
} }
"""


def latest_period_end() -> date:
    """The newest period end that has passed (Shanghai time), today included."""
    today = business_date(utcnow(), TZ)
    return today - timedelta(days=(today - ANCHOR).days % 7)


async def past_day(db: TestDB) -> tuple[BuiltDay, date]:
    """The received day, its purchase order moved into the last ended period."""
    built = await received_day(db)
    end = latest_period_end()
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE purchase_orders SET delivery_date = :d"), {"d": end - timedelta(days=3)}
        )
    return built, end


def payload(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def codes(body: dict[str, Any], name: str) -> list[str]:
    return [e["code"] for e in payload(body, name)["userErrors"]]


async def issued(db: TestDB, gql: Any) -> tuple[BuiltDay, dict[str, Any], str]:
    built, end = await past_day(db)
    operator = built.counter.shop.operator_token
    supplier = await supplier_user(db, built.supplier_id)  # told when it is issued
    body = await gql(
        ISSUE,
        {
            "input": {
                "periodEnd": end.isoformat(),
                "supplierId": encode("Supplier", built.supplier_id),
            }
        },
        token=operator,
    )
    [statement] = payload(body, "supplierStatementIssue")["statements"]
    return built, statement, supplier


async def pay_and_download(gql: Any, built: BuiltDay, supplier: str) -> None:
    """The approved statement's supplier gets a bank account; the statement
    goes into a pay batch, its bank file is read, and the batch is paid."""
    operator = built.counter.shop.operator_token
    # The supplier's bank account, then the pay batch, its bank file, and marking it paid.
    account = {
        "supplierId": encode("Supplier", built.supplier_id),
        "accountName": "长沙果园有限公司",
        "bankName": "长沙银行岳麓支行",
        "accountNumber": "12 34",
    }
    body = await gql(ACCOUNT, {"input": account}, token=operator)
    assert codes(body, "supplierBankAccountSet") == ["INVALID_BANK_ACCOUNT"]
    body = await gql(BATCH, token=operator)
    assert codes(body, "supplierPayBatchCreate") == ["BANK_ACCOUNT_MISSING"]
    account["accountNumber"] = "6222-0200-1234-5678"
    body = await gql(ACCOUNT, {"input": account}, token=operator)
    assert payload(body, "supplierBankAccountSet")["accountNumberTail"] == "5678"
    assert error_codes(await gql(ACCOUNT, {"input": account}, token=supplier)) == ["FORBIDDEN"]
    batch = payload(await gql(BATCH, token=operator), "supplierPayBatchCreate")["batch"]
    assert (batch["statementCount"], batch["totalFen"]) == (1, 19 * COST)
    response = await get(gql, batch["downloadUrl"], operator)
    assert response.status_code == 200
    [heading, row] = csv_rows(response.content)
    assert heading[1] == "对账单号" and heading[-1] == "付款金额(元)"
    assert row[-1] == "114.00" and row[2] == str(built.supplier_id)
    assert row[6:9] == ["长沙果园有限公司", "长沙银行岳麓支行", "6222020012345678"]
    assert (await get(gql, batch["downloadUrl"], supplier)).status_code == 404
    body = await gql(PAID, {"id": batch["id"]}, token=operator)
    assert payload(body, "supplierPayBatchMarkPaid")["batch"]["paidAt"]
    body = await gql(PAID, {"id": batch["id"]}, token=operator)
    assert codes(body, "supplierPayBatchMarkPaid") == ["BATCH_ALREADY_PAID"]
    body = await gql(BATCH, token=operator)
    assert codes(body, "supplierPayBatchCreate") == ["NO_STATEMENT_TO_PAY"]


async def test_the_whole_flow_from_issue_to_the_bank_file(db: TestDB, gql: Any) -> None:
    built, statement, supplier = await issued(db, gql)
    operator = built.counter.shop.operator_token
    assert statement["state"] == "ISSUED" and statement["payableFen"] is None
    assert (statement["goodsFen"], statement["chargebackFen"], statement["totalFen"]) == (
        20 * COST,
        -2 * COST,
        18 * COST,
    )
    lines = statement["lines"]["nodes"]
    assert [(n["kind"], n["units"], n["amountFen"]) for n in lines] == [
        ("GOODS", 8, 8 * COST),
        ("SHORTAGE", 1, -COST),
        ("QC_FAILURE", 1, -COST),
        ("GOODS", 12, 12 * COST),
    ]
    assert (
        lines[2]["returnUrl"]
        == f"/exports/supplier-returns/{encode('PurchaseOrder', built.po_id)}.pdf"
    )
    # The supplier sees its own statement, and answers line by line.
    mine = payload(await gql(LIST, {}, token=supplier), "supplierStatements")["nodes"]
    assert [s["id"] for s in mine] == [statement["id"]]
    body = await gql(CONFIRM, {"id": lines[0]["id"]}, token=supplier)
    assert payload(body, "supplierStatementLineConfirm")["line"]["state"] == "CONFIRMED"
    body = await gql(DISPUTE, {"id": lines[1]["id"], "reason": "实际送了 10 件"}, token=supplier)
    assert payload(body, "supplierStatementLineDispute")["line"]["state"] == "DISPUTED"
    # Approval waits for the dispute.
    body = await gql(APPROVE, {"id": statement["id"]}, token=operator)
    assert payload(body, "supplierStatementApprove")["userErrors"] == [
        {"code": "OPEN_DISPUTES", "field": ["id"], "remaining": 1}
    ]
    body = await gql(
        RESOLVE, {"id": lines[1]["id"], "fen": COST, "note": "签收单为 10 件"}, token=operator
    )
    resolved = payload(body, "supplierDisputeResolve")
    assert resolved["line"] == {
        "id": lines[1]["id"],
        "state": "RESOLVED",
        "adjustmentFen": COST,
        "netFen": 0,
    }
    assert resolved["statement"]["totalFen"] == 19 * COST
    body = await gql(APPROVE, {"id": statement["id"]}, token=operator)
    assert payload(body, "supplierStatementApprove")["statement"] == {
        "state": "APPROVED",
        "payableFen": 19 * COST,
        "carriedForwardFen": 0,
    }
    # An approved statement is no longer disputed.
    body = await gql(DISPUTE, {"id": lines[3]["id"], "reason": "再议"}, token=supplier)
    assert codes(body, "supplierStatementLineDispute") == ["STATEMENT_NOT_OPEN"]
    await pay_and_download(gql, built, supplier)
    state = payload(await gql(LIST, {}, token=supplier), "supplierStatements")["nodes"][0]
    assert state["state"] == "PAID"
    # The supplier was told, and the operator's steps are in the audit log.
    told = await rows(db, "SELECT kind FROM notifications WHERE kind = 'supplier_statement_ready'")
    assert told == [("supplier_statement_ready",)]
    actions = {a for (a,) in await rows(db, "SELECT action FROM audit_events")}
    assert {"supplierStatementIssue", "supplierDisputeResolve", "supplierPayBatchCreate"} <= actions


async def test_another_suppliers_statement_is_not_theirs(db: TestDB, gql: Any) -> None:
    built, statement, supplier = await issued(db, gql)
    other = await other_supplier(db)
    theirs = encode("Supplier", built.supplier_id)
    assert payload(await gql(LIST, {}, token=other), "supplierStatements")["nodes"] == []
    assert error_codes(await gql(LIST, {"supplierId": theirs}, token=other)) == ["FORBIDDEN"]
    assert (
        payload(await gql(ONE, {"id": statement["id"]}, token=other), "supplierStatement") is None
    )
    line = statement["lines"]["nodes"][0]["id"]
    body = await gql(CONFIRM, {"id": line}, token=other)
    assert codes(body, "supplierStatementLineConfirm") == ["NOT_FOUND"]
    body = await gql(DISPUTE, {"id": line, "reason": "不对"}, token=other)
    assert codes(body, "supplierStatementLineDispute") == ["NOT_FOUND"]
    # The return-to-supplier document: its own supplier, not another.
    url = f"/exports/supplier-returns/{encode('PurchaseOrder', built.po_id)}.csv"
    response = await get(gql, url, supplier)
    assert response.status_code == 200
    [_, row] = csv_rows(response.content)
    assert row[0].startswith("R-PO-") and row[8:11] == ["9", "8", "1"] and row[-1] == "6.00"
    assert (await get(gql, url, other)).status_code == 404
    pdf = await get(gql, url.replace(".csv", ".pdf"), supplier)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_roles_and_bad_input_are_refused(db: TestDB, gql: Any) -> None:
    built, statement, supplier = await issued(db, gql)
    operator = built.counter.shop.operator_token
    line = statement["lines"]["nodes"][0]["id"]
    for role in (Role.LEADER, Role.CUSTOMER, Role.WAREHOUSE):
        _, token = await db.user(role)
        assert error_codes(await gql(LIST, {}, token=token)) == ["FORBIDDEN"], role
        assert error_codes(await gql(APPROVE, {"id": statement["id"]}, token=token)) == [
            "FORBIDDEN"
        ]
    # Suppliers answer lines; they do not approve or resolve.
    assert error_codes(await gql(APPROVE, {"id": statement["id"]}, token=supplier)) == ["FORBIDDEN"]
    resolve = {"id": line, "fen": 0, "note": "x"}
    assert error_codes(await gql(RESOLVE, resolve, token=supplier)) == ["FORBIDDEN"]
    assert error_codes(await gql(CONFIRM, {"id": line}, token=operator)) == ["FORBIDDEN"]
    # Malformed and foreign IDs.
    for bad in ("junk", encode("Order", 1)):
        body = await gql(APPROVE, {"id": bad}, token=operator)
        assert codes(body, "supplierStatementApprove") == ["INVALID_ID"]
        body = await gql(CONFIRM, {"id": bad}, token=supplier)
        assert codes(body, "supplierStatementLineConfirm") == ["INVALID_ID"]
        assert error_codes(await gql(ONE, {"id": bad}, token=operator)) == ["BAD_USER_INPUT"]
    body = await gql(DISPUTE, {"id": line, "reason": "   "}, token=supplier)
    assert codes(body, "supplierStatementLineDispute") == ["REASON_REQUIRED"]
    body = await gql(RESOLVE, resolve, token=operator)
    assert codes(body, "supplierDisputeResolve") == ["LINE_NOT_DISPUTED"]
    # A period not yet over, a date that ends no period.
    for day, code in (
        (latest_period_end() + timedelta(days=7), "PERIOD_NOT_CLOSED"),
        (latest_period_end() - timedelta(days=1), "INVALID"),
    ):
        body = await gql(ISSUE, {"input": {"periodEnd": day.isoformat()}}, token=operator)
        assert codes(body, "supplierStatementIssue") == [code]
    missing = encode("PurchaseOrder", built.po_id + 1000)
    assert (await get(gql, f"/exports/supplier-returns/{missing}.csv", operator)).status_code == 404
    assert (
        await get(gql, f"/exports/supplier-returns/{missing}.xlsx", operator)
    ).status_code == 400


FAULT = """
mutation($input: SupplierDeliveryFaultRecordInput!) {
  supplierDeliveryFaultRecord(input: $input) { amountFen userErrors { code field } }
}
"""


async def test_operators_charge_a_delivery_issue_to_the_supplier_once(db: TestDB, gql: Any) -> None:
    built = await received_day(db)
    await signed_with_missing(built.counter, db, 1)
    stop = int(await db.scalar("SELECT route_stop_id FROM delivery_receipts"))
    operator = built.counter.shop.operator_token
    given = {
        "routeStopId": encode("RouteStop", stop),
        "productId": encode("Product", built.product_a),
        "kind": "MISSING",
        "reason": "整箱少装一盒",
    }
    body = await gql(FAULT, {"input": given}, token=operator)
    assert payload(body, "supplierDeliveryFaultRecord") == {"amountFen": COST, "userErrors": []}
    body = await gql(FAULT, {"input": given}, token=operator)
    assert codes(body, "supplierDeliveryFaultRecord") == ["FAULT_ALREADY_RECORDED"]
    body = await gql(FAULT, {"input": {**given, "kind": "DAMAGED"}}, token=operator)
    assert codes(body, "supplierDeliveryFaultRecord") == ["NOT_FOUND"]
    body = await gql(FAULT, {"input": {**given, "reason": " "}}, token=operator)
    assert codes(body, "supplierDeliveryFaultRecord") == ["REASON_REQUIRED"]
    supplier = await supplier_user(db, built.supplier_id)
    assert error_codes(await gql(FAULT, {"input": given}, token=supplier)) == ["FORBIDDEN"]
    assert await rows(db, "SELECT units, amount_fen, reason FROM supplier_delivery_faults") == [
        (1, COST, "整箱少装一盒")
    ]


async def test_issuing_every_supplier_twice_returns_the_same_statements(
    db: TestDB, gql: Any
) -> None:
    built, end = await past_day(db)
    operator = built.counter.shop.operator_token
    period = {"input": {"periodEnd": end.isoformat()}}
    first = payload(await gql(ISSUE, period, token=operator), "supplierStatementIssue")
    again = payload(await gql(ISSUE, period, token=operator), "supplierStatementIssue")
    assert [s["id"] for s in first["statements"]] == [s["id"] for s in again["statements"]]
    assert len(first["statements"]) == 1 and again["userErrors"] == []
    assert await db.scalar("SELECT COUNT(*) FROM supplier_ledger_entries") == 4
