"""The app's one WeChat Pay client, built from the settings: ``None`` while
WeChat Pay is off (an empty ``wechatpay_mchid``). One per app, so that every
request shares its connection pool; closed with the app."""

from __future__ import annotations

from typing import Any

from kernel.settings import Settings
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.models import WechatPayConfig


def wechatpay_client(settings: Settings) -> WechatPayClient | None:
    """A client for the merchant the settings name, or ``None`` when off.
    Reads the PEM files now: a missing key fails at start, not at the first
    payment."""
    if not settings.wechatpay_mchid:
        return None
    config = WechatPayConfig.from_files(
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
    return WechatPayClient(config)


def app_wechatpay(state: Any) -> WechatPayClient | None:
    """The client ``install_wechatpay`` left on an app's ``state``."""
    client: WechatPayClient | None = getattr(state, "wechatpay", None)
    return client


def install_wechatpay(state: Any, settings: Settings) -> None:
    """Build the app's client once and keep it on its ``state``."""
    state.wechatpay = wechatpay_client(settings)


async def close_wechatpay(state: Any) -> None:
    """Close the client's connection pool as the app stops."""
    client = app_wechatpay(state)
    if client is not None:
        await client.aclose()
