"""The WeChat Pay client's transport (kernel/wechatpay/transport.py): an
egress proxy named by HTTP_PROXY is used, as httpx used it, and NO_PROXY
goes around it; the body travels exactly as signed; an idle connection is
dropped before the server drops it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kernel.wechatpay.errors import ConnectionLost, WechatPayUnavailable
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


@pytest.fixture
async def closing_server() -> AsyncIterator[str]:
    """A server that keeps a connection open after answering, but drops a
    request that arrives on it after 0.3 s idle unanswered: the moment a
    server closes an idle connection, as the request comes in."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        answered_at = None
        while True:
            try:
                await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(len(b"{}"))  # the body every request here sends
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if answered_at is not None and loop.time() - answered_at > 0.3:
                break
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            answered_at = loop.time()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v3/refund/domestic/refunds"


@pytest.mark.parametrize("keepalive_s", [0.2, 5.0])
async def test_an_idle_connection_is_dropped_before_the_server_drops_it(
    closing_server: str, keepalive_s: float
) -> None:
    transport = AiohttpTransport(timeout_s=5, keepalive_s=keepalive_s)
    try:
        assert (await transport.request("POST", closing_server, b"{}", {})).status == 204
        await asyncio.sleep(0.5)
        if keepalive_s < 0.3:  # ours (KEEPALIVE_S) is below the server's, as here
            assert (await transport.request("POST", closing_server, b"{}", {})).status == 204
        else:  # kept longer than the server keeps it: the request is lost with it
            with pytest.raises(ConnectionLost):
                await transport.request("POST", closing_server, b"{}", {})
    finally:
        await transport.aclose()
