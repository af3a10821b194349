"""Combined payments (合单支付, kernel/wechatpay/combine.py) against the
sandbox over real HTTP: one prepay and one payment for several orders, one
signed notification naming each sub-order with its own transaction, each
sub-order refunded and billed alone; and what WeChat refuses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.sandbox.state import CHINA, SandboxCombine, SandboxKeys, SandboxOrder
from kernel.wechatpay import crypto
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.combine import CombineTransaction, SubOrder, is_combined
from kernel.wechatpay.errors import WechatPayRefused
from tests.support.wechatpay_sandbox import RunningSandbox, receiver, running_sandbox

KEYS = SandboxKeys.generate()
NOWHERE = "http://127.0.0.1:9/notify"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(KEYS) as running:
        yield running


def _no() -> str:
    return uuid.uuid4().hex[:24]


def _subs(*totals: int) -> list[SubOrder]:
    return [SubOrder(_no(), f"团购订单 {i}", total) for i, total in enumerate(totals)]


async def test_one_payment_pays_every_sub_order_and_one_notification_names_each(
    sandbox: RunningSandbox,
) -> None:
    subs, number = _subs(1990, 350, 12800), _no()
    async with WechatPayClient(sandbox.config()) as client:
        with receiver() as notify:
            code_url = await client.combine.prepay_native(
                combine_out_trade_no=number, sub_orders=subs, notify_url=f"{notify.url}/n"
            )
            assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
            unpaid = await client.combine.query(number)
            assert {t.trade_state for t in unpaid.sub_orders} == {"NOTPAY"}
            sandbox.pay(number)
            [(headers, body)] = notify.wait(1)
        notification = client.read_notification(headers, body)
        assert notification.event_type == "TRANSACTION.SUCCESS"
        assert is_combined(notification.resource)
        paid = CombineTransaction.from_json(notification.resource)
        assert paid.combine_out_trade_no == number
        told = [(t.out_trade_no, t.trade_state, t.total, t.payer_total) for t in paid.sub_orders]
        assert told == [(s.out_trade_no, "SUCCESS", s.total, s.total) for s in subs]
        transactions = {t.transaction_id for t in paid.sub_orders}
        assert len(transactions) == 3 and None not in transactions
        assert await client.combine.query(number) == paid
        # Each sub-order is a payment of its own: refunded alone, billed alone.
        refund = await client.refund(
            out_trade_no=subs[1].out_trade_no, out_refund_no=_no(), refund=350, total=350
        )
        assert refund.refund == 350
        bill = await client.trade_bill(datetime.now(CHINA).date())
    rows = [bill.row(s.out_trade_no) for s in subs]
    assert [(r.order_total, r.transaction_id) for r in rows if r is not None] == [
        (t.total, t.transaction_id) for t in paid.sub_orders
    ]


async def test_a_jsapi_combined_prepay_answers_a_signed_request_payment(
    sandbox: RunningSandbox,
) -> None:
    async with WechatPayClient(sandbox.config(NOWHERE)) as client:
        prepay = await client.combine.prepay_jsapi(
            combine_out_trade_no=_no(), sub_orders=_subs(100, 200), openid="o-resident"
        )
    params = prepay.request_payment
    assert params["package"] == f"prepay_id={prepay.prepay_id}"
    message = crypto.lines(
        params["appId"], params["timeStamp"], params["nonceStr"], params["package"]
    )
    assert crypto.signature_valid(KEYS.merchant_key.public_key(), message, params["paySign"])


async def test_asking_again_is_the_same_payment_and_other_terms_are_refused(
    sandbox: RunningSandbox,
) -> None:
    subs, number = _subs(500, 600), _no()
    async with WechatPayClient(sandbox.config(NOWHERE)) as client:
        first = await client.combine.prepay_native(combine_out_trade_no=number, sub_orders=subs)
        again = await client.combine.prepay_native(combine_out_trade_no=number, sub_orders=subs)
        assert again == first
        changed = [subs[0], SubOrder(subs[1].out_trade_no, "改价", 601)]
        refusals = []
        for attempt in (
            client.combine.prepay_native(combine_out_trade_no=number, sub_orders=changed),
            # A sub-order cannot be paid or closed alone, nor join another payment.
            client.prepay_native(out_trade_no=subs[0].out_trade_no, description="x", total=500),
            client.close(subs[0].out_trade_no),
            client.combine.prepay_native(
                combine_out_trade_no=_no(), sub_orders=[subs[0], *_subs(9)]
            ),
        ):
            with pytest.raises(WechatPayRefused) as refused:
                await attempt
            refusals.append(refused.value.code)
    assert refusals == ["INVALID_REQUEST"] * 4
    assert {sandbox.state.orders[s.out_trade_no].trade_state for s in subs} == {"NOTPAY"}


async def test_an_order_paid_alone_cannot_join_a_combined_payment(sandbox: RunningSandbox) -> None:
    alone = _no()
    async with WechatPayClient(sandbox.config(NOWHERE)) as client:
        await client.prepay_native(out_trade_no=alone, description="米", total=300)
        with pytest.raises(WechatPayRefused) as refused:
            await client.combine.prepay_native(
                combine_out_trade_no=_no(), sub_orders=[SubOrder(alone, "米", 300), *_subs(10)]
            )
    assert refused.value.code == "INVALID_REQUEST"


async def test_closing_closes_every_sub_order_and_a_paid_one_is_not_closed(
    sandbox: RunningSandbox,
) -> None:
    async with WechatPayClient(sandbox.config(NOWHERE)) as client:
        subs, number = _subs(100, 200, 300), _no()
        await client.combine.prepay_native(combine_out_trade_no=number, sub_orders=subs)
        await client.combine.close(number, [s.out_trade_no for s in subs])
        closed = await client.combine.query(number)
        assert {t.trade_state for t in closed.sub_orders} == {"CLOSED"}
        assert sandbox.try_pay(number).status_code == 400

        subs, number = _subs(100, 200), _no()
        await client.combine.prepay_native(combine_out_trade_no=number, sub_orders=subs)
        sandbox.pay(number)
        with pytest.raises(WechatPayRefused) as refused:
            await client.combine.close(number, [s.out_trade_no for s in subs])
    assert refused.value.code == "ORDERPAID"


@pytest.mark.parametrize(
    "sub_orders",
    [
        [SubOrder("A1", "one", 100)],  # fewer than two
        [SubOrder(f"A{i}", "x", 100) for i in range(11)],  # more than ten
        [SubOrder("A1", "x", 100), SubOrder("A1", "x", 200)],  # one number twice
        [SubOrder("C1", "x", 100), SubOrder("A2", "x", 200)],  # the combined number
        [SubOrder("A1", "x", 100), SubOrder("A2", "x", 0)],  # no money
    ],
)
async def test_sub_orders_wechat_would_refuse_are_not_sent(
    sandbox: RunningSandbox, sub_orders: list[SubOrder]
) -> None:
    async with WechatPayClient(sandbox.config(NOWHERE)) as client:
        with pytest.raises(ValueError):
            await client.combine.prepay_native(combine_out_trade_no="C1", sub_orders=sub_orders)
    assert "C1" not in sandbox.state.combines


def test_an_unsigned_combined_prepay_is_refused(sandbox: RunningSandbox) -> None:
    unsigned = sandbox.unsigned("/v3/combine-transactions/native", {})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 10**9), min_size=2, max_size=10), st.booleans())
def test_every_fen_of_every_sub_order_reads_back(totals: list[int], paid: bool) -> None:
    orders = [
        SandboxOrder(
            f"S{i}",
            "x",
            "",
            total,
            "NATIVE",
            "o",
            "wx1",
            trade_state="SUCCESS" if paid else "NOTPAY",
            transaction_id=f"42{i}" if paid else None,
        )
        for i, total in enumerate(totals)
    ]
    combine = SandboxCombine(
        "C", "", "NATIVE", "o", "wx1", orders, {o.out_trade_no: "" for o in orders}
    )
    read = CombineTransaction.from_json(combine.as_json(KEYS))
    assert [t.total for t in read.sub_orders] == totals
    assert [t.payer_total for t in read.sub_orders] == (totals if paid else [None] * len(totals))
