"""A bad token is not anonymous: the viewer query says so instead of null."""

from __future__ import annotations

from kernel.accounts import Role
from tests.conftest import GraphQLClient, TestDB, error_codes

PRODUCTS = """
query($supplierId: ID) { products(supplierId: $supplierId) { edges { node { id name } } } }
"""


async def test_viewer_with_a_bad_token_is_unauthenticated(db: TestDB, gql: GraphQLClient) -> None:
    _, token = await db.user(Role.CUSTOMER)
    assert (await gql("{ viewer { role } }", token=token))["data"]["viewer"]["role"] == "CUSTOMER"
    assert (await gql("{ viewer { role } }"))["data"]["viewer"] is None
    for bad in (token[:-2] + "xx", "not-a-token", "a" * 5000):
        body = await gql("{ viewer { role } }", token=bad)
        assert error_codes(body) == ["UNAUTHENTICATED"], bad
