"""The merchant this process pays and refunds through, for code that has no
app to ask: jobs (refunds sent, orders queried and closed, transfers, bills)
run in a worker or in the app's in-process queue. The app and ``tuangou
worker`` call ``configure`` at start with their settings; a job opens a
client for its run with ``payment_provider()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from kernel.settings import Settings
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.models import WechatPayConfig

_configured: WechatPayConfig | None = None


def config_from_settings(settings: Settings) -> WechatPayConfig | None:
    """The merchant the settings name, or ``None`` while WeChat Pay is off
    (an empty ``wechatpay_mchid``). Reads the PEM files now: a missing key
    fails at start, not at the first payment."""
    if not settings.wechatpay_mchid:
        return None
    return WechatPayConfig.from_files(
        mchid=settings.wechatpay_mchid,
        appid=settings.wechatpay_appid,
        merchant_serial_no=settings.wechatpay_merchant_serial_no,
        merchant_private_key_path=settings.wechatpay_merchant_private_key_path,
        apiv3_key=settings.wechatpay_apiv3_key,
        platform_public_key_path=settings.wechatpay_platform_public_key_path,
        platform_public_key_id=settings.wechatpay_platform_public_key_id,
        notify_url_base=settings.wechatpay_notify_url_base,
        base_url=settings.wechatpay_base_url,
        timeout_s=settings.wechatpay_timeout_s,
    )


def configure(config: WechatPayConfig | None) -> None:
    """Name the merchant this process's jobs use (``None``: WeChat Pay off).
    The last app or worker started wins; a process serves one merchant."""
    global _configured
    _configured = config


def configured() -> WechatPayConfig | None:
    """The merchant ``configure`` named, if any."""
    return _configured


@asynccontextmanager
async def payment_provider() -> AsyncIterator[WechatPayClient | None]:
    """A client for one job's run (its own connection pool, closed after),
    or ``None`` while WeChat Pay is off: the job then leaves its work for
    a run that has one."""
    config = _configured
    if config is None:
        yield None
        return
    async with WechatPayClient(config) as client:
        yield client
