from kernel.accounts import Role
from tests.support.factories import open_shop


async def test_viewer_is_the_token_owner(db, gql):
    _, token = await db.user(Role.OPERATOR, "运营小王")
    body = await gql("{ viewer { name role } }", token=token)
    assert body["data"] == {"viewer": {"name": "运营小王", "role": "OPERATOR"}}


async def test_several_lists_in_one_query_share_the_session_in_turn(db, gql):
    # Each root field reads through the request's one database session; run
    # side by side they used to collide and answer an internal error.
    shop = await open_shop(db)
    body = await gql(
        """{ viewer { role } warehouses(first: 5) { edges { node { name } } }
             products(first: 5) { edges { node { name supplier { name } } } }
             suppliers(first: 5) { edges { node { name } } } }""",
        token=shop.operator_token,
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["viewer"]["role"] == "OPERATOR"
    assert data["warehouses"]["edges"] and data["products"]["edges"]
    assert data["suppliers"]["edges"]
