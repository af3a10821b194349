"""WeChat Pay API v3 (kernel/wechatpay/) against the local sandbox
(api/sandbox/wechatpay.py): signed requests, verified answers and
notifications, prepay, pay, refund, close, the trade bill, the fault
switches; and the crypto's round trips over arbitrary input."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.sandbox.notify import envelope
from api.sandbox.state import CHINA, SandboxKeys, SandboxState
from kernel.money import yuan
from kernel.wechatpay import crypto
from kernel.wechatpay.client import WechatPayClient, read_notification
from kernel.wechatpay.errors import (
    BadSignature,
    DecryptionError,
    StaleTimestamp,
    UnknownSerial,
    WechatPayRefused,
    WechatPayUnavailable,
)
from kernel.wechatpay.models import fen
from tests.support.wechatpay_sandbox import RunningSandbox, receiver, running_sandbox

KEYS = SandboxKeys.generate()
OTHER_KEY = crypto.generate_private_key()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(KEYS) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").faults(reset=True)


def _no() -> str:
    return uuid.uuid4().hex[:24]


async def _paid(client: WechatPayClient, sandbox: RunningSandbox, notify: str, total: int) -> str:
    number = _no()
    await client.prepay_jsapi(
        out_trade_no=number, description="鸡蛋 30 枚", total=total, openid="o-1", notify_url=notify
    )
    sandbox.pay(number)
    return number


async def test_jsapi_prepay_answers_parameters_whose_pay_sign_verifies(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config()) as client:
        prepay = await client.prepay_jsapi(
            out_trade_no=_no(), description="西瓜", total=1990, openid="o-abc",
            notify_url="http://127.0.0.1:9/notify",
        )  # fmt: skip
    params = prepay.request_payment
    assert params["package"] == f"prepay_id={prepay.prepay_id}"
    assert params["appId"] == KEYS.appid and params["signType"] == "RSA"
    message = crypto.lines(
        params["appId"], params["timeStamp"], params["nonceStr"], params["package"]
    )
    assert crypto.signature_valid(KEYS.merchant_key.public_key(), message, params["paySign"])


async def test_native_prepay_answers_a_code_url(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config("http://127.0.0.1:9")) as client:
        code_url = await client.prepay_native(out_trade_no=_no(), description="米", total=100)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")


async def test_the_sandbox_refuses_forged_and_unsigned_requests(sandbox: RunningSandbox):
    forged = dataclasses.replace(sandbox.config(), merchant_private_key=OTHER_KEY)
    async with WechatPayClient(forged) as client:
        with pytest.raises(WechatPayRefused) as refused:
            await client.query(_no())
    assert (refused.value.status, refused.value.code) == (401, "SIGN_ERROR")
    unsigned = sandbox.unsigned("/v3/pay/transactions/native", {})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"


async def test_paying_sends_a_notification_the_client_verifies_and_decrypts(
    sandbox: RunningSandbox,
):
    async with WechatPayClient(sandbox.config()) as client:
        with receiver() as notify:
            number = _no()
            await client.prepay_jsapi(
                out_trade_no=number, description="苹果", total=2599, openid="o-pay",
                notify_url=f"{notify.url}/notify",
            )  # fmt: skip
            assert (await client.query(number)).trade_state == "NOTPAY"
            paid = sandbox.pay(number)
            [(headers, body)] = notify.wait(1)
        notification = client.read_notification(headers, body)
        transaction = notification.transaction
        assert notification.event_type == "TRANSACTION.SUCCESS" and transaction is not None
        assert transaction.out_trade_no == number and transaction.total == 2599
        assert transaction.transaction_id == paid["transaction_id"]
        assert transaction.payer_openid == "o-pay"
        queried = await client.query(number)
    assert (queried.trade_state, queried.payer_total) == ("SUCCESS", 2599)


def _notification(keys: SandboxKeys = KEYS) -> bytes:
    resource = {"out_trade_no": "N1", "trade_state": "SUCCESS", "amount": {"total": 1}}
    return envelope(SandboxState(keys), "TRANSACTION.SUCCESS", resource)


def test_genuine_notification_reads():
    body = _notification()
    headers = crypto.signed_headers(KEYS.platform_key, KEYS.platform_serial, body, int(time.time()))
    notification = read_notification(KEYS.client_config("http://x"), headers, body, time.time())
    assert notification.transaction is not None and notification.transaction.total == 1


def test_a_forged_notification_signature_is_refused():
    body, now = _notification(), int(time.time())
    headers = crypto.signed_headers(OTHER_KEY, KEYS.platform_serial, body, now)
    with pytest.raises(BadSignature):
        read_notification(KEYS.client_config("http://x"), headers, body, now)


def test_an_unknown_serial_is_refused():
    body, now = _notification(), int(time.time())
    headers = crypto.signed_headers(KEYS.platform_key, "PUB_KEY_ID_UNKNOWN", body, now)
    with pytest.raises(UnknownSerial):
        read_notification(KEYS.client_config("http://x"), headers, body, now)


def test_a_stale_timestamp_is_refused():
    body, now = _notification(), int(time.time())
    headers = crypto.signed_headers(KEYS.platform_key, KEYS.platform_serial, body, now - 301)
    with pytest.raises(StaleTimestamp):
        read_notification(KEYS.client_config("http://x"), headers, body, now)


def test_a_tampered_ciphertext_is_refused():
    data = json.loads(_notification())
    sealed = bytearray(base64.b64decode(data["resource"]["ciphertext"]))
    sealed[0] ^= 1
    data["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    # Signed afresh: only the AES-GCM tag stands between it and belief.
    body, now = json.dumps(data).encode(), int(time.time())
    headers = crypto.signed_headers(KEYS.platform_key, KEYS.platform_serial, body, now)
    with pytest.raises(DecryptionError):
        read_notification(KEYS.client_config("http://x"), headers, body, now)


async def test_a_refund_goes_processing_then_success_by_notification(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config()) as client:
        with receiver() as notify:
            number = await _paid(client, sandbox, f"{notify.url}/pay", 3000)
            refund = await client.refund(
                out_trade_no=number, out_refund_no=f"R{number}", refund=1000, total=3000,
                reason="缺货", notify_url=f"{notify.url}/refund",
            )  # fmt: skip
            assert (refund.status, refund.refund, refund.total) == ("PROCESSING", 1000, 3000)
            _, (headers, body) = notify.wait(2)
        notification = client.read_notification(headers, body)
        assert notification.event_type == "REFUND.SUCCESS"
        assert notification.refund is not None and notification.refund.status == "SUCCESS"
        assert notification.refund.out_refund_no == f"R{number}"
        assert notification.refund.refund == 1000
        assert (await client.query_refund(f"R{number}")).status == "SUCCESS"


async def test_a_refund_answered_500_raises_the_retryable_error(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config()) as client:
        number = await _paid(client, sandbox, "http://127.0.0.1:9/n", 500)
        sandbox.faults(refund_error_status=500)
        with pytest.raises(WechatPayUnavailable) as unavailable:
            await client.refund(out_trade_no=number, out_refund_no=_no(), refund=500, total=500)
    assert unavailable.value.status == 500 and unavailable.value.retryable


async def test_an_abnormal_refund_comes_back_as_such(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config()) as client:
        number = await _paid(client, sandbox, "http://127.0.0.1:9/n", 800)
        sandbox.faults(refund_status="ABNORMAL")
        refund = await client.refund(
            out_trade_no=number, out_refund_no=f"A{number}", refund=800, total=800
        )
        assert refund.status == "ABNORMAL"
        assert (await client.query_refund(f"A{number}")).status == "ABNORMAL"


async def test_close_then_query_says_closed(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config("http://127.0.0.1:9")) as client:
        number = _no()
        await client.prepay_jsapi(out_trade_no=number, description="葱", total=150, openid="o")
        await client.close(number)
        assert (await client.query(number)).trade_state == "CLOSED"
        with pytest.raises(WechatPayRefused) as refused:
            await client.query("never-opened")
    assert refused.value.code == "ORDER_NOT_EXIST"
    assert sandbox.try_pay(number).status_code == 400


async def test_the_trade_bill_lists_the_paid_order_in_yuan_and_parses_to_fen(
    sandbox: RunningSandbox,
):
    async with WechatPayClient(sandbox.config()) as client:
        number = await _paid(client, sandbox, "http://127.0.0.1:9/n", 12345)
        bill = await client.trade_bill(datetime.now(CHINA).date())
    row = bill.row(number)
    assert row is not None and row.fields["订单金额"] == "123.45"
    assert (row.order_total, row.settlement_total, row.refund) == (12345, 12345, 0)
    assert row.transaction_id == sandbox.state.orders[number].transaction_id
    assert bill.order_total == sum(r.order_total for r in bill.rows if r.state == "SUCCESS")


async def test_notifications_are_retried_dropped_and_duplicated(sandbox: RunningSandbox):
    async with WechatPayClient(sandbox.config()) as client:
        with receiver() as notify:
            notify.answers = [500, 503]
            await _paid(client, sandbox, f"{notify.url}/n", 100)
            first, second, third = notify.wait(3)
            assert first[1] == second[1] == third[1]  # the same notification, re-signed
            sandbox.faults(drop_next_notification=True)
            await _paid(client, sandbox, f"{notify.url}/n", 100)
            sandbox.faults(duplicate_next_notification=True)
            await _paid(client, sandbox, f"{notify.url}/n", 100)
            notify.wait(5)
            await asyncio.sleep(0.2)  # room for a sixth, which must not come
        assert len(notify.received) == 5
        assert notify.received[3][1] == notify.received[4][1]


async def test_slow_and_unreachable_providers_raise_the_retryable_error(sandbox: RunningSandbox):
    sandbox.faults(delay_ms=500)
    slow = dataclasses.replace(sandbox.config(), timeout_s=0.1)
    async with WechatPayClient(slow) as client:
        with pytest.raises(WechatPayUnavailable):
            await client.query(_no())
    gone = dataclasses.replace(sandbox.config(), base_url="http://127.0.0.1:9")
    async with WechatPayClient(gone) as client:
        with pytest.raises(WechatPayUnavailable):
            await client.query(_no())


@settings(max_examples=50, deadline=None)
@given(body=st.binary(max_size=2000), skew=st.integers(-300, 300))
def test_signatures_round_trip_over_any_body(body: bytes, skew: int):
    now = int(time.time())
    headers = crypto.signed_headers(KEYS.platform_key, KEYS.platform_serial, body, now + skew)
    crypto.verify_signed(headers, body, {KEYS.platform_serial: KEYS.platform_key.public_key()}, now)
    with pytest.raises(BadSignature):
        crypto.verify_signed(
            headers, body + b"x", {KEYS.platform_serial: KEYS.platform_key.public_key()}, now
        )


@settings(max_examples=100, deadline=None)
@given(
    plaintext=st.binary(max_size=2000),
    associated=st.text(max_size=40),
    nonce=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12, max_size=12),
)
def test_resources_round_trip_and_refuse_other_associated_data(
    plaintext: bytes, associated: str, nonce: str
):
    sealed = crypto.encrypt(KEYS.apiv3_key, plaintext, associated, nonce)
    assert crypto.decrypt(KEYS.apiv3_key, sealed, associated, nonce) == plaintext
    with pytest.raises(DecryptionError):
        crypto.decrypt(KEYS.apiv3_key, sealed, associated + "x", nonce)


@given(st.integers(-(10**12), 10**12))
def test_bill_yuan_text_parses_back_to_fen_exactly(amount: int):
    assert fen(yuan(amount)) == amount
