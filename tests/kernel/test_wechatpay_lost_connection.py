"""A WeChat Pay request whose connection breaks before the answer is sent
once more, signed afresh (kernel/wechatpay/client.py ``_send``): between the
client and the sandbox, a proxy that hands the request on, lets the sandbox
act on it, and then drops the connection instead of answering."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import ConnectionLost
from tests.support.wechatpay_sandbox import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


@dataclass
class DroppingProxy:
    url: str
    drops: int = 0  # POSTs still to swallow the answer of
    authorizations: list[bytes] = field(default_factory=list)


async def _message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
    body = await reader.readexactly(int(length[0].split(b":")[1])) if length else b""
    return head, body


@pytest.fixture
async def proxy(sandbox: RunningSandbox) -> AsyncIterator[DroppingProxy]:
    host, port = sandbox.url.removeprefix("http://").split(":")
    state = DroppingProxy("")

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head, body = await _message(reader)
                lines = head.split(b"\r\n")
                state.authorizations += [h for h in lines if h.lower().startswith(b"authorization")]
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                up_writer.write(head + body)
                answer = b"".join(await _message(up_reader))
                up_writer.close()
                if head.startswith(b"POST") and state.drops > 0:
                    state.drops -= 1
                    break  # the provider acted; its answer never comes back
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield state


async def _paid(sandbox: RunningSandbox, total: int) -> str:
    number = uuid.uuid4().hex[:24]
    async with WechatPayClient(sandbox.config()) as client:
        await client.prepay_native(out_trade_no=number, description="鸡蛋", total=total)
    sandbox.pay(number)
    return number


async def test_a_refund_whose_answer_is_lost_is_sent_again_and_made_once(
    sandbox: RunningSandbox, proxy: DroppingProxy
) -> None:
    number = await _paid(sandbox, 3000)
    proxy.drops = 1
    config = dataclasses.replace(sandbox.config(), base_url=proxy.url)
    async with WechatPayClient(config) as client:
        refund = await client.refund(
            out_trade_no=number, out_refund_no=f"R{number}", refund=1200, total=3000
        )
    assert (refund.out_refund_no, refund.refund) == (f"R{number}", 1200)
    # Two requests reached the provider, each signed on its own (a new
    # nonce and signature), and they made one refund between them.
    first, second = proxy.authorizations
    assert first != second
    assert [r.refund for r in sandbox.state.refunds.values() if r.out_trade_no == number] == [1200]


async def test_a_second_loss_is_reported_retryable_and_the_next_call_finds_the_refund(
    sandbox: RunningSandbox, proxy: DroppingProxy
) -> None:
    number = await _paid(sandbox, 800)
    proxy.drops = 2
    config = dataclasses.replace(sandbox.config(), base_url=proxy.url)
    async with WechatPayClient(config) as client:
        with pytest.raises(ConnectionLost) as lost:
            await client.refund(
                out_trade_no=number, out_refund_no=f"R{number}", refund=800, total=800
            )
        assert lost.value.retryable and len(proxy.authorizations) == 2
        # The refund sender's next run sends it again: the same refund, still one.
        again = await client.refund(
            out_trade_no=number, out_refund_no=f"R{number}", refund=800, total=800
        )
    assert again.refund == 800
    assert [r.refund for r in sandbox.state.refunds.values() if r.out_trade_no == number] == [800]
