"""A payout batch lists its own payouts (PayoutBatch.payouts), in the file's
order, and only to operators: the operator's payout page shows each batch's
payouts as PAID or FAILED from it."""

from __future__ import annotations

from api.graphql.ids import encode
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.payouts import export_batch
from tests.conftest import TestDB, app_client
from tests.support.commission import team
from tests.support.payout_transfers import approved, earn

BATCHES = """{ payoutBatches(first: 10) { nodes { id payoutCount
  payouts(first: 10) { nodes { id status transferFen } } } } }"""


async def test_a_batch_lists_its_payouts_to_operators_only(db: TestDB) -> None:
    t = await team(db, 3)
    await earn(db, (t.leaders[0], 5_000), (t.leaders[1], 5_000), (t.leaders[2], 5_000))
    first = await approved(db, t, [1_200, 3_400])
    async with unit_of_work(db.sessions) as session:
        await export_batch(session, t.operator, utcnow())
    later = await approved(db, t, [2_000], start=2)
    async with unit_of_work(db.sessions) as session:
        await export_batch(session, t.operator, utcnow())

    async with app_client(db.url) as gql:
        body = await gql(BATCHES, token=t.operator_token)
        assert "errors" not in body, body
        batches = body["data"]["payoutBatches"]["nodes"]
        assert [b["payoutCount"] for b in batches] == [2, 1]
        listed = [[p["id"] for p in b["payouts"]["nodes"]] for b in batches]
        assert listed == [[encode("Payout", i) for i in first], [encode("Payout", later[0])]]
        assert [p["transferFen"] for p in batches[0]["payouts"]["nodes"]] == [1_200, 3_400]
        assert {p["status"] for p in batches[0]["payouts"]["nodes"]} == {"APPROVED"}

        refused = await gql(BATCHES, token=t.tokens[0])
        assert refused["data"] is None or not refused["data"]["payoutBatches"]["nodes"]
