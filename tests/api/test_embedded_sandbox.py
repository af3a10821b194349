"""The WeChat Pay sandbox ``tuangou serve`` and ``tuangou demo`` embed in
development: when it is started (never with a merchant, in production or
with several workers), and the settings it gives pay through it."""

from __future__ import annotations

import time

from api.sandbox.embedded import platform_url, start_sandbox, why_not_embedded
from kernel.settings import Settings
from kernel.wechatpay.client import WechatPayClient, read_notification
from kernel.wechatpay.provider import config_from_settings


def test_embedded_only_in_development_with_no_merchant_and_one_process() -> None:
    assert why_not_embedded(Settings()) is None
    assert why_not_embedded(Settings(), workers=1) is None
    assert "worker" in (why_not_embedded(Settings(), workers=2) or "")
    assert "merchant" in (why_not_embedded(Settings(wechatpay_mchid="1230000109")) or "")
    assert "production" in (why_not_embedded(Settings(env="production")) or "")


def test_a_wildcard_listen_address_is_notified_through_the_loopback() -> None:
    assert platform_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert platform_url("192.168.1.5", 8080) == "http://192.168.1.5:8080"


async def test_the_settings_it_gives_open_a_prepay_at_it() -> None:
    sandbox = start_sandbox()
    try:
        settings = sandbox.settings(Settings(), "http://127.0.0.1:8000/")
        assert settings.wechatpay_base_url == sandbox.url
        assert settings.wechatpay_notify_url_base == "http://127.0.0.1:8000"
        config = config_from_settings(settings)
        assert config is not None
        async with WechatPayClient(config) as client:
            code_url = await client.prepay_native(out_trade_no="T1", description="x", total=990)
        assert code_url.startswith("weixin://")
        opened = sandbox.state.orders["T1"]
        assert opened.notify_url == "http://127.0.0.1:8000/payments/wechatpay/notify"
        # The demo's payer: paid there, and a notification the platform believes.
        body, headers = sandbox.pay("T1")
        notification = read_notification(config, headers, body, time.time())
        assert notification.transaction is not None
        assert notification.transaction.out_trade_no == "T1"
        assert opened.trade_state == "SUCCESS"
    finally:
        sandbox.stop()
