"""The WeChat Pay sandbox (api/sandbox/wechatpay.py) under uvicorn in a
background thread, on a free port, for the tests; and a tiny notification
receiver that keeps what it was sent. Real sockets, real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import uvicorn

from api.sandbox.state import SandboxKeys, SandboxState
from api.sandbox.wechatpay import create_app
from kernel.wechatpay.models import WechatPayConfig
from tests.support.local_server import serving


@dataclass
class RunningSandbox:
    url: str
    state: SandboxState

    def config(self, notify_url_base: str = "") -> WechatPayConfig:
        """A client configuration for this sandbox's merchant."""
        return self.state.keys.client_config(self.url, notify_url_base)

    def try_pay(self, out_trade_no: str) -> httpx.Response:
        """The payer tries to pay: ``POST /sandbox/pay/{out_trade_no}``."""
        return httpx.post(f"{self.url}/sandbox/pay/{out_trade_no}")

    def pay(self, out_trade_no: str) -> dict[str, Any]:
        """The payer pays, or the test fails."""
        response = self.try_pay(out_trade_no)
        response.raise_for_status()
        return dict(response.json())

    def unsigned(self, path: str, body: Any) -> httpx.Response:
        """A v3 POST with no Authorization at all."""
        return httpx.post(f"{self.url}{path}", json=body)

    def faults(self, **changes: Any) -> dict[str, Any]:
        """``POST /sandbox/faults`` with ``changes``."""
        response = httpx.post(f"{self.url}/sandbox/faults", json=changes)
        response.raise_for_status()
        return dict(response.json())


@contextmanager
def running_sandbox(keys: SandboxKeys | None = None) -> Iterator[RunningSandbox]:
    """The sandbox serving on 127.0.0.1 for the block, retrying quickly."""
    state = SandboxState(keys or SandboxKeys.generate(), retry_delays_s=(0.05, 0.1, 0.2))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # A "lost answer" fault holds its connection open: without a bound, the
    # server's graceful stop waited for it until the join below gave up (10 s).
    config = uvicorn.Config(create_app(state), log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the WeChat Pay sandbox did not start")
        time.sleep(0.01)
    try:
        yield RunningSandbox(url=f"http://127.0.0.1:{port}", state=state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Receiver:
    """What a notify_url was sent: (headers, body) per request, in order.
    ``answers`` are the statuses to give, one per request, then 200."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        """The first ``count`` requests, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} notifications, wanted {count}")
            time.sleep(0.01)
        return self.received[:count]


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A local notify_url for the block."""
    kept = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            kept.received.append((dict(self.headers.items()), body))
            status = kept.answers.pop(0) if kept.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        kept.url = url
        yield kept
