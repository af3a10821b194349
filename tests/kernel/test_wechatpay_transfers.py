"""Transfers to balance (商家转账到零钱) through the client against the
sandbox: a batch accepted then finished, a failing openid with its reason,
the same out_batch_no answered as the same batch, a changed resend refused,
a 500 raised as retryable, paging through the details."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from api.sandbox.state import SandboxKeys
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import WechatPayRefused, WechatPayUnavailable
from kernel.wechatpay.models import TransferBatch
from tests.support.payout_transfers import desk
from tests.support.wechatpay_sandbox import RunningSandbox, running_sandbox

KEYS = SandboxKeys.generate()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(KEYS) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults(sandbox: RunningSandbox) -> None:
    sandbox.faults(reset=True)


def _no() -> str:
    return uuid.uuid4().hex[:24]


async def _settled(client: WechatPayClient, out_batch_no: str) -> TransferBatch:
    for _ in range(100):
        batch = await client.query_transfer_batch(out_batch_no)
        if batch.status == "FINISHED":
            return batch
        await asyncio.sleep(0.02)
    raise AssertionError("the batch never finished")


async def test_a_batch_is_accepted_then_each_transfer_ends(sandbox: RunningSandbox) -> None:
    sandbox.faults(transfer_fail_openids=["o-frozen"])
    number = _no()
    details = [("d1", 1_000, "o-ok", "佣金提现"), ("d2", 2_500, "o-frozen", "佣金提现")]
    async with WechatPayClient(sandbox.config()) as client:
        sent = await client.transfer_batch(
            out_batch_no=number, batch_name="团长佣金", batch_remark="第 1 批", details=details
        )
        assert sent.status == "ACCEPTED" and sent.batch_id and sent.out_batch_no == number
        done = await _settled(client, number)
        assert (done.total_amount, done.total_num) == (3_500, 2)
        states = {d.out_detail_no: d.status for d in done.details}
        assert states == {"d1": "SUCCESS", "d2": "FAIL"}
        failed = await client.query_transfer_detail(number, "d2")
        assert failed.fail_reason == "ACCOUNT_FROZEN" and failed.amount == 2_500
        assert failed.openid == "o-frozen" and failed.final
        ok = await client.query_transfer_detail(number, "d1")
        assert ok.status == "SUCCESS" and ok.fail_reason is None

        # Sent again, the same: the same batch, nothing new at the provider.
        again = await client.transfer_batch(
            out_batch_no=number, batch_name="团长佣金", batch_remark="第 1 批", details=details
        )
        assert again.batch_id == sent.batch_id
        with pytest.raises(WechatPayRefused) as changed:
            await client.transfer_batch(
                out_batch_no=number,
                batch_name="团长佣金",
                batch_remark="第 1 批",
                details=details[:1],
            )
        assert changed.value.code == "INVALID_REQUEST"
    listing = desk(sandbox.url)
    assert [b["out_batch_no"] for b in listing["batches"]].count(number) == 1


async def test_every_transfer_fails_with_the_switch_reason(sandbox: RunningSandbox) -> None:
    sandbox.faults(transfer_fail="REAL_NAME_CHECK_FAIL")
    number = _no()
    async with WechatPayClient(sandbox.config()) as client:
        await client.transfer_batch(
            out_batch_no=number,
            batch_name="团长佣金",
            batch_remark="r",
            details=[("x1", 100, "o-a", "佣金")],
        )
        done = await _settled(client, number)
        assert [d.status for d in done.details] == ["FAIL"]
        detail = await client.query_transfer_detail(number, "x1")
        assert detail.fail_reason == "REAL_NAME_CHECK_FAIL"


async def test_errors_are_retryable_or_refusals(sandbox: RunningSandbox) -> None:
    sandbox.faults(transfer_errors=1)
    number = _no()
    details = [("e1", 100, "o-a", "佣金")]
    async with WechatPayClient(sandbox.config()) as client:
        with pytest.raises(WechatPayUnavailable) as busy:
            await client.transfer_batch(
                out_batch_no=number, batch_name="n", batch_remark="r", details=details
            )
        assert busy.value.status == 500 and busy.value.code == "SYSTEM_ERROR"
        with pytest.raises(WechatPayRefused) as missing:
            await client.query_transfer_batch(number)  # the 500 recorded nothing
        assert missing.value.status == 404
        await client.transfer_batch(
            out_batch_no=number, batch_name="n", batch_remark="r", details=details
        )
        with pytest.raises(WechatPayRefused) as bad:
            await client.transfer_batch(
                out_batch_no="not-alphanumeric!",
                batch_name="n",
                batch_remark="r",
                details=details,
            )
        assert bad.value.code == "PARAM_ERROR"
        with pytest.raises(ValueError):
            await client.transfer_batch(
                out_batch_no=_no(), batch_name="n", batch_remark="r", details=[("z", 0, "o", "r")]
            )


async def test_details_are_read_page_by_page(sandbox: RunningSandbox) -> None:
    number = _no()
    details = [(f"p{i}", 100 + i, f"o-{i}", "佣金") for i in range(7)]
    async with WechatPayClient(sandbox.config()) as client:
        await client.transfer_batch(
            out_batch_no=number, batch_name="n", batch_remark="r", details=details
        )
        await _settled(client, number)
        batch = await client.query_transfer_batch(number, page_size=3)
        assert [d.out_detail_no for d in batch.details] == [f"p{i}" for i in range(7)]
        assert all(d.status == "SUCCESS" for d in batch.details)
