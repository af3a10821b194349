"""How the merchant client's signed requests travel: ``request`` one, get
an ``Answer`` (status, headers, the body's exact bytes, since the platform's
signature covers them). Two transports:

- ``AiohttpTransport``, the platform's own over the network. aiohttp, not
  httpx: every order paid is a prepay request, and httpx's transport spends
  about 1 ms of CPU on each (h11 and anyio in pure Python) against aiohttp's
  0.15–0.25 ms (``python scripts/bench_http_clients.py``, docs/wechatpay.md).
- ``HttpxTransport`` over a given ``httpx.AsyncClient``: for an ASGI
  transport on an app in the same process (the demo's sandbox on SQLite),
  which aiohttp cannot reach without a socket.

A transport raises ``WechatPayUnavailable`` when nothing came back, and its
``ConnectionLost`` when a connection broke under the request."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx
from yarl import URL

from kernel.tracing import client_span
from kernel.wechatpay.errors import ConnectionLost, WechatPayUnavailable


@dataclass(frozen=True)
class Answer:
    """What came back: ``headers`` look up case-insensitively."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body as text, for an error message."""
        return self.content.decode(errors="replace")


class Transport(Protocol):
    """Sends one request as it is: no retries, no redirects followed."""

    async def request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer: ...

    async def aclose(self) -> None: ...


def raw_path(url: str) -> str:
    """The path and query of ``url`` exactly as they travel (what v3 signs)."""
    return URL(url, encoded=True).raw_path_qs


# How long an idle connection is kept for the next request: less than the
# server keeps it (uvicorn, the sandbox's server, closes one after 5 s). A
# request sent on a connection the server is closing that moment is lost
# with it ("Cannot write to closing transport"); aiohttp's default (15 s)
# reused such connections.
KEEPALIVE_S = 3.0


def _lost(exc: BaseException) -> bool:
    """Whether an established connection broke under the request (closed or
    reset by the server); not a timeout, nor a connection never made."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return False
    broken = (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError)
    return isinstance(exc, (*broken, aiohttp.ClientOSError))


class AiohttpTransport:
    """One ``aiohttp.ClientSession``, opened on first use (a session belongs
    to the event loop it was opened on; a client used from another loop
    opens another there)."""

    def __init__(self, timeout_s: float, keepalive_s: float = KEEPALIVE_S) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._keepalive_s = keepalive_s
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    def _proxy(self, url: URL) -> str | None:
        """The egress proxy for ``url`` from HTTP(S)_PROXY and NO_PROXY, as
        httpx honoured them, read once per host: aiohttp's ``trust_env``
        reads the environment and ~/.netrc on every request, 0.7 ms of CPU."""
        key = (url.scheme, url.host or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies_environment()
            bypass = urllib.request.proxy_bypass(key[1])
            self._proxies[key] = None if bypass else proxies.get(key[0])
        return self._proxies[key]

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # No cookies: v3 sets none, and the jar's bookkeeping costs each request.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(keepalive_timeout=self._keepalive_s),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._loop = loop
        return self._session

    async def request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        session = self._open()
        target = URL(url, encoded=True)  # as signed: no re-quoting on the way
        sent = dict(headers)
        with client_span(method, url, sent) as answered:
            try:
                async with session.request(
                    method,
                    target,
                    data=body or None,
                    headers=sent,
                    allow_redirects=False,
                    proxy=self._proxy(target),
                ) as response:
                    answer = Answer(response.status, response.headers, await response.read())
            except (aiohttp.ClientError, TimeoutError) as exc:
                lost = ConnectionLost if _lost(exc) else WechatPayUnavailable
                raise lost(f"{method} {URL(url).path}: {exc!r}") from exc
            answered(answer.status)
        return answer

    async def aclose(self) -> None:
        """Close the session, if one is open on this loop."""
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()


class HttpxTransport:
    """Over a caller's ``httpx.AsyncClient``, which the caller closes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        try:
            response = await self.client.request(
                method, httpx.URL(url), content=body, headers=dict(headers)
            )
        except httpx.TransportError as exc:
            raise WechatPayUnavailable(f"{method} {httpx.URL(url).path}: {exc!r}") from exc
        return Answer(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        """Nothing: the client is the caller's."""
