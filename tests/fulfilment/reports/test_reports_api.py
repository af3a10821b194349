"""The reports through GraphQL and as downloads: operators read every
report of the known day; leaders and others are FORBIDDEN; ranges over a
year, malformed, foreign or unknown filter IDs and filters a report cannot
apply are BAD_USER_INPUT; the CSV parses and the XLSX opens with the
same totals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.conftest import TestDB, error_codes
from tests.fulfilment.reports.known_day import GMV, GOODWILL, KnownDay, known_day
from tests.support.exports import XLSX, csv_rows, get, xlsx_sheet
from tests.support.routing import A_PRICE

SALES = """
query($range: ReportRange!, $filter: ReportFilter) {
  reportSales(range: $range, filter: $filter) {
    totals { gmvFen orders customers averageBasketFen refundedFen netFen }
    days { date gmvFen }
  }
}
"""

RANKING = """
query($range: ReportRange!, $first: Int, $after: String) {
  reportLeaderRanking(range: $range, first: $first, after: $after) {
    edges { cursor node { rank leaderId salesFen commissionFen afterSaleBps } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

EVERYTHING = """
query($range: ReportRange!, $filter: ReportFilter) {
  reportSupplierFill(range: $range, filter: $filter) { supplierName shortFen acceptedBps }
  reportAfterSaleByProduct(range: $range, filter: $filter) { productName refundedFen }
  reportRefundsByReason(range: $range, filter: $filter) {
    amountFen reasons { reason amountFen } days { date amountFen }
  }
  reportSettlementRegister(range: $range, filter: $filter) {
    periods { totalFen } statements { nodes { leaderName totalFen } }
  }
  reportPayoutRegister(range: $range, filter: $filter) {
    days { date amountFen } payouts { nodes { amountFen status } }
  }
}
"""


def _range(day: KnownDay, days: int | None = None) -> dict[str, str]:
    start, end = day.days.start, day.days.end
    if days is not None:
        end = start + timedelta(days=days)
    return {"start": start.isoformat(), "end": end.isoformat()}


async def test_operators_read_every_report(db: TestDB, gql: Any) -> None:
    day = await known_day(db)
    token = day.counter.shop.operator_token
    body = await gql(SALES, {"range": _range(day)}, token=token)
    assert "errors" not in body, body
    totals = body["data"]["reportSales"]["totals"]
    refunded = 2 * A_PRICE + GOODWILL
    assert totals == {
        "gmvFen": GMV,
        "orders": 4,
        "customers": 4,
        "averageBasketFen": 2403,
        "refundedFen": refunded,
        "netFen": GMV - refunded,
    }
    assert len(body["data"]["reportSales"]["days"]) == day.days.days
    first = await gql(RANKING, {"range": _range(day), "first": 1}, token=token)
    [edge] = first["data"]["reportLeaderRanking"]["edges"]
    assert edge["node"]["leaderId"] == encode("Leader", day.leader_id)
    assert edge["node"]["afterSaleBps"] == 1868
    assert first["data"]["reportLeaderRanking"]["pageInfo"]["hasNextPage"] is True
    after = first["data"]["reportLeaderRanking"]["pageInfo"]["endCursor"]
    rest = await gql(RANKING, {"range": _range(day), "after": after}, token=token)
    assert [e["node"]["rank"] for e in rest["data"]["reportLeaderRanking"]["edges"]] == [2, 3]
    body = await gql(EVERYTHING, {"range": _range(day)}, token=token)
    assert "errors" not in body, body
    data = body["data"]
    assert data["reportSupplierFill"][0]["shortFen"] == A_PRICE
    assert data["reportRefundsByReason"]["amountFen"] == refunded
    [statement] = data["reportSettlementRegister"]["statements"]["nodes"]
    [payout] = data["reportPayoutRegister"]["payouts"]["nodes"]
    assert statement["totalFen"] == payout["amountFen"] == day.settlement.total_fen


async def test_others_are_forbidden(db: TestDB, gql: Any) -> None:
    day = await known_day(db)
    variables = {"range": _range(day)}
    for token in (day.counter.shop.leader_token, (await db.user(Role.CUSTOMER))[1]):
        assert error_codes(await gql(SALES, variables, token=token)) == ["FORBIDDEN"]
        assert "FORBIDDEN" in error_codes(await gql(EVERYTHING, variables, token=token))
    assert error_codes(await gql(SALES, variables)) == ["UNAUTHENTICATED"]


async def test_bad_ranges_and_filters_are_bad_user_input(db: TestDB, gql: Any) -> None:
    day = await known_day(db)
    token = day.counter.shop.operator_token
    shop = day.counter.shop
    year = _range(day, 366)  # 367 days
    inverted = {"start": year["end"], "end": year["start"]}
    bad_filters: list[dict[str, Any]] = [
        {"warehouseId": "not-an-id"},
        {"warehouseId": encode("Order", 1)},
        {"warehouseId": encode("Warehouse", 999_999)},
        {"leaderId": encode("Leader", 999_999)},
        {"supplierId": encode("Supplier", 999_999)},
        {"category": "没有这个品类"},
    ]
    cases = [{"range": year}, {"range": inverted}] + [
        {"range": _range(day), "filter": f} for f in bad_filters
    ]
    for variables in cases:
        assert error_codes(await gql(SALES, variables, token=token)) == ["BAD_USER_INPUT"], (
            variables
        )
    # The ranking of one leader's warehouse, but not the supplier fill.
    good = {"warehouseId": encode("Warehouse", shop.warehouse_id)}
    body = await gql(SALES, {"range": _range(day), "filter": good}, token=token)
    assert body["data"]["reportSales"]["totals"]["gmvFen"] == GMV
    leader = {"leaderId": encode("Leader", day.leader_id)}
    body = await gql(EVERYTHING, {"range": _range(day), "filter": leader}, token=token)
    assert "BAD_USER_INPUT" in error_codes(body)
    # An unknown filter field is refused by the schema itself.
    unknown = await gql(SALES, {"range": _range(day), "filter": {"city": "长沙"}}, token=token)
    assert unknown.get("errors") and unknown.get("data") is None


async def test_downloads_as_csv_and_xlsx(db: TestDB, gql: Any) -> None:
    day = await known_day(db)
    token = day.counter.shop.operator_token
    span = _range(day)
    query = f"start={span['start']}&end={span['end']}"
    csv_response = await get(gql, f"/exports/reports/sales.csv?{query}", token)
    assert csv_response.status_code == 200, csv_response.text
    rows = csv_rows(csv_response.content)
    assert rows[0][:3] == ["日期", "GMV(元)", "订单数"]
    assert rows[-1][:4] == ["合计", "96.10", "4", "4"]
    xlsx = await get(gql, f"/exports/reports/refunds-by-reason.xlsx?{query}", token)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    sheet = xlsx_sheet(xlsx.content)
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [cells[4][0], cells[4][1], float(cells[4][2])] == ["合计", 3, 20.80]
    for name in (
        "leader-ranking",
        "supplier-fill",
        "after-sale-by-product",
        "settlement-register",
        "payout-register",
    ):
        for fmt in ("csv", "xlsx"):
            response = await get(gql, f"/exports/reports/{name}.{fmt}?{query}", token)
            assert response.status_code == 200, (name, fmt, response.text)
    leader = day.counter.shop.leader_token
    assert (await get(gql, f"/exports/reports/sales.csv?{query}", leader)).status_code == 404
    year_end = (day.delivery_date + timedelta(days=400)).isoformat()
    refused = [
        f"/exports/reports/sales.pdf?{query}",
        f"/exports/reports/nothing.csv?{query}",
        f"/exports/reports/sales.csv?start={span['start']}&end={year_end}",
        f"/exports/reports/sales.csv?{query}&city=1",
        f"/exports/reports/sales.csv?{query}&warehouseId=bad",
        f"/exports/reports/supplier-fill.csv?{query}&leaderId={encode('Leader', day.leader_id)}",
    ]
    for url in refused:
        response = await get(gql, url, token)
        assert (response.status_code, response.json()) == (400, {"code": "BAD_REQUEST"}), url
