"""payoutBatchSend through GraphQL against the WeChat Pay sandbox, on both
databases (jobs run in the app's process): operators only; the batch is
sent, one transfer fails, the payouts show PAID and FAILED with the reason,
the failed leader's money is back; sending again changes nothing; a leader
without an openid is LEADER_NOT_WECHAT and the bank file still pays; WeChat
Pay off is TRANSFER_UNAVAILABLE."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.app import create_app
from kernel.accounts import Role
from kernel.wechatpay import provider
from leaders.commission import transfer_jobs
from tests.conftest import GraphQLClient, TestDB, app_client, error_codes
from tests.conftest import test_settings as settings_for
from tests.support.commission import Team, balances, team
from tests.support.paying import wechatpay_settings
from tests.support.payout_transfers import QUICK, approved, desk, earn, sign_in_with_wechat
from tests.support.wechatpay_sandbox import RunningSandbox, running_sandbox

SEND = """mutation($id: ID) { payoutBatchSend(input: {id: $id}) {
  batch { id payoutCount transferFen transferStatus outBatchNo transferError }
  userErrors { field code message } } }"""


EXPORT = "mutation { payoutBatchExport { batch { id } userErrors { code } } }"


PAID = """mutation($id: ID!) { payoutBatchMarkPaid(input: {id: $id}) {
  batch { paidAt } userErrors { code } } }"""


PAYOUTS = """query { payouts { nodes { id transferFen status transferStatus reason failedAt
  leader { id } batch { transferStatus } } } }"""


@asynccontextmanager
async def on_wechatpay(
    db: TestDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[GraphQLClient, RunningSandbox]]:
    """The app on the sandbox's merchant, its jobs run inline (both databases)."""
    monkeypatch.setattr(transfer_jobs, "TIMING", QUICK)
    before = provider.configured()
    with running_sandbox() as sandbox:
        overrides = wechatpay_settings(sandbox.state.keys, tmp_path / "keys", sandbox.url)
        app = create_app(settings_for(db.url, jobs_mode="inline", **overrides))
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    yield GraphQLClient(http), sandbox
        finally:
            provider.configure(before)  # the app named its merchant for the process


async def _settled(gql: GraphQLClient, token: str, count: int) -> list[dict[str, Any]]:
    """The payouts once ``count`` of them are final."""
    deadline = time.monotonic() + 20
    while True:
        body = await gql(PAYOUTS, token=token)
        nodes: list[dict[str, Any]] = body["data"]["payouts"]["nodes"]
        if sum(n["status"] in ("PAID", "FAILED") for n in nodes) >= count:
            return nodes
        assert time.monotonic() < deadline, nodes
        await asyncio.sleep(0.05)


async def _refusals(gql: GraphQLClient, db: TestDB) -> None:
    _, customer = await db.user(Role.CUSTOMER)
    _, leader = await db.user(Role.LEADER)
    for token, code in ((customer, "FORBIDDEN"), (leader, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        assert error_codes(await gql(SEND, {"id": None}, token=token)) == [code]
    assert await db.scalar("SELECT count(*) FROM commission_payout_batches") == 0


async def test_operators_send_a_batch_and_follow_each_transfer(
    db: TestDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t: Team = await team(db, 3)
    # Earned and settled before the app starts: its own settlement job would
    # otherwise close the period first, with nothing in it.
    await earn(db, *((leader, 3_000) for leader in t.leaders))
    async with on_wechatpay(db, tmp_path, monkeypatch) as (gql, sandbox):
        appid = sandbox.state.keys.appid
        openids = await sign_in_with_wechat(db, t, appid, [0, 1])
        await approved(db, t, [2_000, 2_500])
        await _refusals(gql, db)
        sandbox.faults(transfer_fail_openids=[openids[1]])

        sent = (await gql(SEND, {"id": None}, token=t.operator_token))["data"]["payoutBatchSend"]
        assert sent["userErrors"] == []
        batch = sent["batch"]
        assert (batch["payoutCount"], batch["transferFen"]) == (2, 4_500)
        assert batch["transferStatus"] == "SENDING" and batch["outBatchNo"].startswith("TGPB")

        nodes = await _settled(gql, t.operator_token, 2)
        outcome = sorted((n["transferFen"], n["status"], n["transferStatus"]) for n in nodes)
        assert outcome == [(2_000, "PAID", "SUCCESS"), (2_500, "FAILED", "FAIL")]
        failed = next(n for n in nodes if n["status"] == "FAILED")
        assert failed["reason"] == "ACCOUNT_FROZEN" and failed["failedAt"]
        assert await balances(db, t.leaders[0]) == (0, 1_000)
        assert await balances(db, t.leaders[1]) == (0, 3_000)
        # The leader sees their own payout's failure and its reason.
        own = await gql(PAYOUTS, token=t.tokens[1])
        [mine] = own["data"]["payouts"]["nodes"]
        assert (mine["status"], mine["reason"]) == ("FAILED", "ACCOUNT_FROZEN")

        again = await gql(SEND, {"id": batch["id"]}, token=t.operator_token)
        assert again["data"]["payoutBatchSend"]["userErrors"] == []
        assert again["data"]["payoutBatchSend"]["batch"]["transferStatus"] == "FINISHED"
        assert len(desk(sandbox.url)["batches"]) == 1
        paid = await gql(PAID, {"id": batch["id"]}, token=t.operator_token)
        assert [e["code"] for e in paid["data"]["payoutBatchMarkPaid"]["userErrors"]] == [
            "INVALID_STATUS"
        ]

        # The third leader never signed in with WeChat: the bank file pays them.
        [third] = await approved(db, t, [1_000], start=2)
        refused = (await gql(SEND, {"id": None}, token=t.operator_token))["data"]
        assert [e["code"] for e in refused["payoutBatchSend"]["userErrors"]] == [
            "LEADER_NOT_WECHAT"
        ]
        exported = (await gql(EXPORT, token=t.operator_token))["data"]["payoutBatchExport"]
        marked = await gql(PAID, {"id": exported["batch"]["id"]}, token=t.operator_token)
        assert marked["data"]["payoutBatchMarkPaid"]["userErrors"] == []
        status = await db.scalar("SELECT status FROM commission_payouts WHERE id = :i", i=third)
        assert status == "paid"
        assert desk(sandbox.url)["requests"] == 1


async def test_wechatpay_off_is_transfer_unavailable(db: TestDB) -> None:
    t = await team(db, 1)
    await earn(db, (t.leaders[0], 3_000))
    await approved(db, t, [2_000])
    async with app_client(db.url) as gql:
        body = await gql(SEND, {"id": None}, token=t.operator_token)
    errors = body["data"]["payoutBatchSend"]["userErrors"]
    assert [e["code"] for e in errors] == ["TRANSFER_UNAVAILABLE"]
    assert await db.scalar("SELECT count(*) FROM commission_payout_batches") == 0
