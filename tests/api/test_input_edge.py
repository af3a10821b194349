"""The edge: text, dates and amounts a client sends are checked before any
domain code runs; a refused value names its field and changes nothing."""

from __future__ import annotations

from typing import Any

from kernel.accounts import Role
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.support.commerce import gid, snapshot, user_errors
from tests.support.factories import ORDER_CREATE, open_shop, order_input

SHARE_CODE = """
query($code: String!) { pickupPointByShareCode(code: $code) { id name } }
"""

WAREHOUSE_CREATE = """
mutation($input: WarehouseCreateInput!) {
  warehouseCreate(input: $input) { warehouse { id name } userErrors { field code message } }
}
"""

SETTLEMENT_RUN = """
mutation($input: SettlementRunInput!) {
  settlementRun(input: $input) { job { id } userErrors { field code message } }
}
"""

CAMPAIGN_ITEMS_ADD = """
mutation($input: CampaignItemsAddInput!) {
  campaignItemsAdd(input: $input) { items { id } userErrors { field code message } }
}
"""


def _warehouse(name: str) -> dict[str, Any]:
    return {
        "input": {
            "name": name,
            "address": "长沙市望城区",
            "location": {"lat": 28.35, "lon": 112.82},
        }
    }


async def test_a_nul_in_a_mutation_is_a_user_error_naming_the_field(
    db: TestDB, gql: GraphQLClient
) -> None:
    shop = await open_shop(db)
    _, customer = await db.user(Role.CUSTOMER)
    before = await snapshot(db)
    variables = order_input(shop, {0: 1}, key="key\u0000one")
    body = await gql(ORDER_CREATE, variables, token=customer)
    errors = user_errors(body, "orderCreate")
    assert [(e["field"], e["code"]) for e in errors] == [(["idempotencyKey"], "INVALID_CHARACTER")]
    assert body["data"]["orderCreate"]["order"] is None
    assert await snapshot(db) == before


async def test_a_bad_value_deep_in_a_list_names_its_path(db: TestDB, gql: GraphQLClient) -> None:
    shop = await open_shop(db)
    variables = {
        "input": {
            "campaignId": shop.campaign_gid,
            "items": [
                {
                    "productId": gid("Product", shop.extra["product_id"]),
                    "groupPriceFen": 100,
                    "listPriceFen": 100,
                },
                {
                    "productId": gid("Product", shop.extra["product_id"]),
                    "groupPriceFen": 2**31 - 1,
                    "listPriceFen": 2**31 - 1,
                },
            ],
        }
    }
    body = await gql(CAMPAIGN_ITEMS_ADD, variables, token=shop.operator_token)
    errors = user_errors(body, "campaignItemsAdd")
    assert [(e["field"], e["code"]) for e in errors] == [
        (["items", "1", "groupPriceFen"], "OUT_OF_RANGE")
    ]
    assert body["data"]["campaignItemsAdd"]["items"] == []


async def test_a_nul_in_a_query_argument_is_a_bad_request(db: TestDB, gql: GraphQLClient) -> None:
    _, customer = await db.user(Role.CUSTOMER)
    body = await gql(SHARE_CODE, {"code": "a\u0000b"}, token=customer)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == ["code"]
    assert body["data"] == {"pickupPointByShareCode": None}


async def test_text_too_long_for_its_column_is_refused(db: TestDB, gql: GraphQLClient) -> None:
    _, operator = await db.user(Role.OPERATOR)
    body = await gql(WAREHOUSE_CREATE, _warehouse("仓" * 101), token=operator)
    errors = user_errors(body, "warehouseCreate")
    assert [(e["field"], e["code"]) for e in errors] == [(["name"], "TOO_LONG")]
    assert await db.scalar("SELECT count(*) FROM warehouses") == 0


async def test_names_are_normalised_before_they_are_stored(db: TestDB, gql: GraphQLClient) -> None:
    _, operator = await db.user(Role.OPERATOR)
    # "e" followed by a combining acute accent: NFC makes it one character.
    body = await gql(WAREHOUSE_CREATE, _warehouse("  Cafe\u0301 仓 "), token=operator)
    assert user_errors(body, "warehouseCreate") == []
    assert body["data"]["warehouseCreate"]["warehouse"]["name"] == "Caf\u00e9 仓"


async def test_a_share_code_typed_in_full_width_finds_the_point(
    db: TestDB, gql: GraphQLClient
) -> None:
    shop = await open_shop(db)
    code = await db.scalar(
        "SELECT share_code FROM pickup_points WHERE id = :id", id=shop.pickup_point_id
    )
    # A Chinese input method in full-width mode sends U+FF21 for "A" etc.
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in code)
    assert full_width != code
    _, customer = await db.user(Role.CUSTOMER)
    body = await gql(SHARE_CODE, {"code": full_width}, token=customer)
    assert body["data"]["pickupPointByShareCode"]["id"] == shop.pickup_point_gid


async def test_a_date_out_of_the_platform_range_is_refused(db: TestDB, gql: GraphQLClient) -> None:
    _, operator = await db.user(Role.OPERATOR)
    jobs_before = await db.scalar("SELECT count(*) FROM jobs")
    for day in ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"):
        body = await gql(SETTLEMENT_RUN, {"input": {"periodEnd": day}}, token=operator)
        errors = user_errors(body, "settlementRun")
        assert [(e["field"], e["code"]) for e in errors] == [(["periodEnd"], "OUT_OF_RANGE")]
    assert await db.scalar("SELECT count(*) FROM jobs") == jobs_before


async def test_the_schema_states_the_limits(gql: GraphQLClient) -> None:
    body = await gql(
        '{ __type(name: "WarehouseCreateInput") { inputFields { name description } } }'
    )
    described = {f["name"]: f["description"] for f in body["data"]["__type"]["inputFields"]}
    assert "At most 100 characters" in described["name"]
    assert "At most 300 characters" in described["address"]
