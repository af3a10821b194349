"""The grid's handover: its operator signs for the central's trunk delivery
once; units reported missing are refunded to the grid's customers, latest
paid first, never to a point the central serves directly; an operator says
who is charged. A grid operator sees and signs for its own grid only."""

from __future__ import annotations

from typing import Any

from api.graphql.ids import encode
from tests.conftest import TestDB, error_codes
from tests.fulfilment.delivery.test_delivery import refunds
from tests.fulfilment.network.test_stage_one import SHIPMENTS, day_with_a_grid, sort_both_stages
from tests.support.commerce import codes, ok, user_errors
from tests.support.factories import Shop
from tests.support.network import grid_of, grid_operator

SIGN = """
mutation($input: GridHandoverSignInput!) { gridHandoverSign(input: $input) {
  receipt { deliveryDate note issues { id kind quantity refundedFen chargedTo product { name } } }
  userErrors { field code message }
} }
"""
CHARGE = """
mutation($input: GridIssueChargeInput!) { gridIssueCharge(input: $input) {
  chargedTo userErrors { field code }
} }
"""
USER_CREATE = """
mutation($input: UserCreateInput!) { userCreate(input: $input) {
  user { id role } userErrors { field code }
} }
"""


def sign_input(shop: Shop, grid: int, *issues: tuple[int, str, int], **more: Any) -> dict[str, Any]:
    return {
        "input": {
            "gridId": encode("Warehouse", grid),
            "deliveryDate": shop.delivery_date.isoformat(),
            "issues": [
                {
                    "productId": encode("Product", shop.extra["product_id"] + p),
                    "kind": k,
                    "quantity": q,
                }
                for p, k, q in issues
            ],
            **more,
        }
    }


async def _counts(db: TestDB) -> tuple[int, int, int]:
    return (
        await db.scalar("SELECT count(*) FROM grid_receipts"),
        await db.scalar("SELECT count(*) FROM grid_issues"),
        await db.scalar("SELECT count(*) FROM refunds"),
    )


async def test_missing_units_are_refunded_to_the_grids_latest_payers_only(db, gql):
    shop, grid, customers = await day_with_a_grid(db)
    await sort_both_stages(db, shop)
    token = await grid_operator(db, grid)
    body = await gql(SIGN, sign_input(shop, grid, (0, "MISSING", 3), note="两箱压坏"), token=token)
    receipt = ok(body, "gridHandoverSign")["receipt"]
    # The second point's customer paid last of the grid's: 3 of their 4
    # apples go back. The direct point's customer paid later still, but is
    # not the grid's: untouched.
    assert await refunds(db) == [(customers[2], "delivery_missing", 3, 3 * 990)]
    [issue] = receipt["issues"]
    assert (issue["kind"], issue["quantity"], issue["refundedFen"], issue["chargedTo"]) == (
        "MISSING",
        3,
        2970,
        None,
    )
    assert receipt["note"] == "两箱压坏"

    before = await _counts(db)
    again = await gql(SIGN, sign_input(shop, grid), token=token)
    assert codes(again, "gridHandoverSign") == ["GRID_ALREADY_SIGNED"]
    assert await _counts(db) == before

    # Who pays for it is the operator's word, not the grid's.
    charge = {"input": {"issueId": issue["id"], "chargedTo": "CARRIER"}}
    assert error_codes(await gql(CHARGE, charge, token=token)) == ["FORBIDDEN"]
    charged = await gql(CHARGE, charge, token=shop.operator_token)
    assert ok(charged, "gridIssueCharge")["chargedTo"] == "CARRIER"


async def test_bad_handovers_are_refused_and_change_nothing(db, gql):
    shop, grid, _ = await day_with_a_grid(db)
    token = await grid_operator(db, grid)
    # Before stage one has sorted anything for the grid, nothing came.
    early = await gql(SIGN, sign_input(shop, grid), token=token)
    assert codes(early, "gridHandoverSign") == ["NOTHING_SENT"]
    await sort_both_stages(db, shop)

    too_many = await gql(
        SIGN, sign_input(shop, grid, (0, "MISSING", 6), (0, "DAMAGED", 4)), token=token
    )
    assert user_errors(too_many, "gridHandoverSign")[0]["field"] == ["issues", "1", "quantity"]
    twice = await gql(
        SIGN, sign_input(shop, grid, (1, "MISSING", 1), (1, "MISSING", 1)), token=token
    )
    zero = await gql(SIGN, sign_input(shop, grid, (0, "DAMAGED", 0)), token=token)
    for body in (too_many, twice, zero):
        assert codes(body, "gridHandoverSign") == ["INVALID_ISSUE"]
    assert await _counts(db) == (0, 0, 0)

    # Another grid's operator and a leader may not sign for this grid.
    other = await grid_of(db, shop.warehouse_id, shop.operator, name="网格仓-乙")
    stranger = await grid_operator(db, other)
    assert error_codes(await gql(SIGN, sign_input(shop, grid), token=stranger)) == ["FORBIDDEN"]
    assert error_codes(await gql(SIGN, sign_input(shop, grid), token=shop.leader_token)) == [
        "FORBIDDEN"
    ]
    assert await _counts(db) == (0, 0, 0)

    # The other grid's operator reads its own shipment only.
    variables = {"c": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()}
    own = await gql(SHIPMENTS, variables, token=stranger)
    assert [s["grid"]["warehouse"]["name"] for s in own["data"]["gridShipments"]] == ["网格仓-乙"]
    elsewhere = {"c": encode("Warehouse", other), "d": shop.delivery_date.isoformat()}
    assert error_codes(await gql(SHIPMENTS, elsewhere, token=stranger)) == ["FORBIDDEN"]


async def test_a_grid_operator_account_names_its_grid(db, gql):
    shop, grid, _ = await day_with_a_grid(db)
    account = {"name": "网格站长", "role": "GRID_OPERATOR", "phone": "13700137000"}
    missing = await gql(USER_CREATE, {"input": account}, token=shop.operator_token)
    assert codes(missing, "userCreate") == ["GRID_REQUIRED"]
    central = {**account, "gridId": encode("Warehouse", shop.warehouse_id)}
    assert codes(
        await gql(USER_CREATE, {"input": central}, token=shop.operator_token), "userCreate"
    ) == ["NOT_A_GRID"]
    assert await db.scalar("SELECT count(*) FROM users WHERE role = 'grid_operator'") == 0
    made = await gql(
        USER_CREATE,
        {"input": {**account, "gridId": encode("Warehouse", grid)}},
        token=shop.operator_token,
    )
    assert ok(made, "userCreate")["user"]["role"] == "GRID_OPERATOR"
    assert await db.scalar("SELECT grid_id FROM grid_operators") == grid
