from kernel.accounts import Role


async def test_viewer_is_the_token_owner(db, gql):
    _, token = await db.user(Role.OPERATOR, "运营小王")
    body = await gql("{ viewer { name role } }", token=token)
    assert body["data"] == {"viewer": {"name": "运营小王", "role": "OPERATOR"}}
