"""The WeChat Pay sandbox inside ``tuangou serve`` and ``tuangou demo``: in
development, with no merchant configured, the platform pays through a
sandbox of its own (docs/wechatpay.md, "Development: the embedded sandbox").

It runs under uvicorn in a daemon thread of the serving process, on a free
local port, with keys made at start and written to a temporary directory;
the platform's ``wechatpay_*`` settings then point at it, and its
notifications come back to the platform's own URL.

Never embedded when:

- a merchant is configured (``wechatpay_mchid``): real money goes to WeChat;
- ``TUANGOU_ENV=production``: a sandbox there would let anyone "pay";
- ``serve --workers N`` with N > 1: the sandbox keeps its orders in one
  process's memory, and each gunicorn worker would start its own. A prepay
  opened through one worker would be unknown to the sandbox another worker
  asks, and each worker's keys would differ, so notifications signed by one
  would be refused by the rest. Run ``tuangou payments sandbox`` once and
  point every worker at it instead.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import uvicorn

from api.sandbox.combine import pay_combined
from api.sandbox.notify import envelope
from api.sandbox.state import SandboxKeys, SandboxState, china_now
from api.sandbox.wechatpay import create_app
from kernel.settings import Settings
from kernel.wechatpay import crypto

Lifespan = Literal["auto", "on", "off"]
NOTIFY_URL_BASE = "TUANGOU_WECHATPAY_NOTIFY_URL_BASE"
# Long enough for uvicorn to bind and run its lifespan on a busy machine.
START_TIMEOUT_S = 20.0


def why_not_embedded(settings: Settings, workers: int = 1) -> str | None:
    """Why the sandbox must not be embedded (see the module's docstring),
    or ``None`` when it should be."""
    if settings.wechatpay_mchid:
        return "a WeChat Pay merchant is configured"
    if settings.env == "production":
        return "production never pays through a sandbox"
    if workers > 1:
        return "each worker process would hold a sandbox of its own"
    return None


class ThreadServer:
    """An ASGI app under uvicorn in a daemon thread, on a free local port.
    The port is bound at once, so ``url`` is known before the app is built
    (an app that must know its own URL, to be notified at it)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket()
        self._sock.bind((host, 0))
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: Any, lifespan: Lifespan = "auto") -> ThreadServer:
        """Serve ``app``; returns once the server listens."""
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, log_config=None)
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the server at {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to finish and wait for it (briefly)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._sock.close()


@dataclass
class EmbeddedSandbox:
    """A running sandbox and the settings that point the platform at it."""

    url: str
    state: SandboxState
    keys_dir: Path
    environment: dict[str, str]  # TUANGOU_WECHATPAY_*, as sandbox.env has them
    _server: ThreadServer = field(repr=False)

    def settings(self, base: Settings, platform_url: str) -> Settings:
        """``base`` paying through this sandbox, notified at ``platform_url``."""
        update = {
            name.removeprefix("TUANGOU_").lower(): value
            for name, value in self.environ(platform_url).items()
        }
        # Every one of them is a string setting: nothing to convert.
        return base.model_copy(update=update)

    def environ(self, platform_url: str) -> dict[str, str]:
        """The environment variables that point a process at this sandbox."""
        return {**self.environment, NOTIFY_URL_BASE: platform_url.rstrip("/")}

    def export(self, platform_url: str) -> None:
        """Set ``environ`` in this process (``tuangou serve``'s app reads
        its settings from the environment when uvicorn builds it)."""
        os.environ.update(self.environ(platform_url))

    def pay(self, out_trade_no: str) -> tuple[bytes, dict[str, str]]:
        """The payer pays, as ``POST /sandbox/pay/{out_trade_no}`` does, but
        the signed, encrypted TRANSACTION.SUCCESS notification is handed to
        the caller to deliver instead of being posted. For the demo's
        thousands of payments: the sandbox opens a new HTTP client (and TLS
        context, ~30 ms) for every notification it posts."""
        body = self._paid(out_trade_no)
        return body, self._signed_headers(body)

    def _paid(self, out_trade_no: str) -> bytes:
        if out_trade_no in self.state.combines:
            resource = pay_combined(self.state, out_trade_no)
            return envelope(self.state, "TRANSACTION.SUCCESS", resource)
        order = self.state.orders[out_trade_no]
        if order.trade_state != "NOTPAY":
            raise ValueError(f"order {out_trade_no} is {order.trade_state} at the sandbox")
        order.trade_state, order.success_time = "SUCCESS", china_now()
        order.transaction_id = f"4200{secrets.randbelow(10**24):024d}"
        return envelope(self.state, "TRANSACTION.SUCCESS", order.as_json(self.state.keys))

    def _signed_headers(self, body: bytes) -> dict[str, str]:
        keys = self.state.keys
        headers = crypto.signed_headers(
            keys.platform_key, keys.platform_serial, body, int(time.time())
        )
        headers["Content-Type"] = "application/json"
        headers["Wechatpay-Signature-Type"] = crypto.SCHEME
        return headers

    def stop(self) -> None:
        """Stop serving (its keys' directory goes with the process's temp files)."""
        self._server.stop()


def start_sandbox(host: str = "127.0.0.1") -> EmbeddedSandbox:
    """A fresh sandbox serving in a thread: new keys in a new temp directory."""
    keys = SandboxKeys.generate()
    state = SandboxState(keys)
    server = ThreadServer(host).start(create_app(state))
    keys_dir = Path(tempfile.mkdtemp(prefix="tuangou-wechatpay-sandbox-"))
    environment = keys.write(keys_dir, server.url)
    return EmbeddedSandbox(server.url, state, keys_dir, environment, server)


def platform_url(host: str, port: int) -> str:
    """The platform's own base URL as the sandbox reaches it (a wildcard
    listen address is reached through the loopback)."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{reachable}:{port}"
