"""Query cost: reported on every answer, and a too costly query is refused."""

from __future__ import annotations

from kernel.accounts import Role
from tests.conftest import app_client, error_codes

NESTED = """
query($n: Int) {
  leaders(first: $n) { nodes { id user { name } pickupPoint { name } } }
}
"""


async def test_cost_grows_with_the_page_asked_for(db, gql):
    _, token = await db.user(Role.OPERATOR)
    small = await gql(NESTED, {"n": 1}, token=token)
    large = await gql(NESTED, {"n": 100}, token=token)
    assert "errors" not in small and "errors" not in large
    small_cost = small["extensions"]["cost"]["requestedQueryCost"]
    large_cost = large["extensions"]["cost"]["requestedQueryCost"]
    # leaders + nodes, then id, user, name, pickupPoint, name per leader.
    assert small_cost == 2 + 5
    assert large_cost == 1 + 100 * 1 + 100 * 5
    assert large["extensions"]["cost"]["maximumAvailable"] == 50_000


async def test_a_query_over_the_budget_is_refused_before_it_runs(db):
    _, token = await db.user(Role.OPERATOR)
    async with app_client(db.url, max_query_cost=500) as gql:
        cheap = await gql(NESTED, {"n": 10}, token=token)
        costly = await gql(NESTED, {"n": 100}, token=token)
    assert "errors" not in cheap
    assert error_codes(costly) == ["QUERY_TOO_COSTLY"]
    assert costly.get("data") is None
    assert "601" in costly["errors"][0]["message"]
