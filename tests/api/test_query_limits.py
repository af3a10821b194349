"""Oversized queries are refused: nested deeper than twelve levels, or with
more than thirty aliases."""

from __future__ import annotations

from kernel.accounts import Role


def nested_query(depth: int) -> str:
    """A query nested ``depth`` levels below its top-level field: leaders >
    edges > node, then pickupPoint > leader > pickupPoint > ... down to an id."""
    fields = ["leaders", "edges", "node"]
    while len(fields) < depth:
        fields.append("leader" if fields[-1] == "pickupPoint" else "pickupPoint")
    query = "id"
    for name in reversed(fields):
        query = f"{name} {{ {query} }}"
    return f"{{ {query} }}"


async def test_queries_nested_deeper_than_twelve_levels_are_refused(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)

    body = await gql(nested_query(12), token=operator)
    assert "errors" not in body, body

    body = await gql(nested_query(13), token=operator)
    assert body.get("errors"), body
    assert body.get("data") is None
    assert "depth" in body["errors"][0]["message"]


async def test_queries_with_more_than_thirty_aliases_are_refused(db, gql) -> None:
    _, operator = await db.user(Role.OPERATOR)

    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: viewer {{ name }}" for i in range(n)) + " }"

    body = await gql(aliased(30), token=operator)
    assert "errors" not in body, body
    assert len(body["data"]) == 30

    body = await gql(aliased(31), token=operator)
    assert body.get("errors"), body
    assert body.get("data") is None
    assert "alias" in body["errors"][0]["message"].lower()
