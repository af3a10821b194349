"""The WeChat Pay client's transport (kernel/wechatpay/transport.py): an
egress proxy named by HTTP_PROXY is used, as httpx used it, and NO_PROXY
goes around it; the body travels exactly as signed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kernel.wechatpay.errors import WechatPayUnavailable
from kernel.wechatpay.transport import AiohttpTransport

TARGET = "http://api.mch.example/v3/pay/transactions/out-trade-no/26121353?mchid=1900000109"


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A forward proxy on loopback that records each request and answers 204."""
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
        body = await reader.readexactly(int(length[0].split(b":")[1])) if length else b""
        seen.append(head + body)
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", seen


async def test_requests_go_through_the_proxy_the_environment_names(
    proxy: tuple[str, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    transport = AiohttpTransport(timeout_s=5)
    try:
        answer = await transport.request("POST", TARGET, b'{"mchid":"1900000109"}', {})
    finally:
        await transport.aclose()
    assert answer.status == 204
    [request] = seen
    # The absolute form a forward proxy gets, the query as it was signed.
    assert request.startswith(f"POST {TARGET} HTTP/1.1".encode())
    assert request.endswith(b'{"mchid":"1900000109"}')


async def test_no_proxy_goes_around_it(
    proxy: tuple[str, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("NO_PROXY", "api.mch.example")
    transport = AiohttpTransport(timeout_s=2)
    try:
        # Straight to a host that does not resolve: unavailable, not proxied.
        with pytest.raises(WechatPayUnavailable):
            await transport.request("GET", TARGET, b"", {})
    finally:
        await transport.aclose()
    assert seen == []
