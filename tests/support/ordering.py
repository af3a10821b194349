"""orderCreate and orderCancel through GraphQL, and paying, for the
order-rule tests: an order that must be accepted or refused, its input from (item,
quantity) pairs, and a customer's token."""

from __future__ import annotations

import uuid
from typing import Any

from kernel.accounts import Role
from tests.support.commerce import ok, user_errors
from tests.support.paying import book

ORDER_FIELDS = """
  id number status totalFen createdAt expiresAt paidAt customerName
  lines { quantity unitPriceFen amountFen product { name } }
"""


ORDER_CREATE = f"""
mutation($input: OrderCreateInput!) {{
  orderCreate(input: $input) {{
    order {{ {ORDER_FIELDS} }}
    userErrors {{ field code message remaining }}
  }}
}}
"""


ORDER_CANCEL = f"""
mutation($id: ID!) {{
  orderCancel(input: {{id: $id}}) {{
    order {{ {ORDER_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""


MY_ORDERS = "{ myOrders { nodes { id status totalFen } } }"


def lines_input(
    point_gid: str, lines: list[tuple[str, int]], key: str | None = None, **extra: Any
) -> dict[str, Any]:
    """orderCreate's input from (campaign item global id, quantity) pairs."""
    value: dict[str, Any] = {
        "pickupPointId": point_gid,
        "lines": [{"campaignItemId": item, "quantity": qty} for item, qty in lines],
        "idempotencyKey": key or uuid.uuid4().hex,
    }
    value.update(extra)
    return {"input": value}


async def place(gql: Any, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """An order that must be accepted."""
    order: dict[str, Any] = ok(await gql(ORDER_CREATE, variables, token=token), "orderCreate")[
        "order"
    ]
    return order


async def refused(gql: Any, variables: dict[str, Any], token: str) -> list[dict[str, Any]]:
    """The user errors of an order that must be refused."""
    body = await gql(ORDER_CREATE, variables, token=token)
    errors = user_errors(body, "orderCreate")
    assert errors, body
    assert body["data"]["orderCreate"]["order"] is None
    return errors


async def pay(gql: Any, order_id: str, token: str) -> None:
    """The order paid in full: its payment booked as the WeChat Pay callback
    books a verified one (tests/support/paying.py). ``token`` is kept for the
    callers; paying is the provider's word, not the customer's."""
    await book(gql, order_id)


async def customer(db: Any, name: str = "居民") -> str:
    _, token = await db.user(Role.CUSTOMER, name)
    return str(token)


TWO_ITEMS = [
    {"group_price_fen": 990, "list_price_fen": 1290},
    {"group_price_fen": 1500, "list_price_fen": 1800, "cap": 20},
]
