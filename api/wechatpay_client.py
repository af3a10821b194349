"""The app's one WeChat Pay client, built from the settings: ``None`` while
WeChat Pay is off (an empty ``wechatpay_mchid``). One per app, so that every
request shares its connection pool; closed with the app."""

from __future__ import annotations

from typing import Any

from kernel.settings import Settings
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.provider import config_from_settings, configure


def wechatpay_client(settings: Settings) -> WechatPayClient | None:
    """A client for the merchant the settings name, or ``None`` when off.
    The same merchant is named for this process's jobs (``provider.configure``)."""
    config = config_from_settings(settings)
    configure(config)
    return None if config is None else WechatPayClient(config)


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
