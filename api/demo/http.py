"""How the demo's people reach the API: ``post`` a body to a path, get the
status and the body back. Two ways behind it: httpx on the ASGI app in this
process (SQLite, tests), and aiohttp on a served API over real HTTP (the
PostgreSQL week).

Why two clients: httpx's transport spends about 1 ms of CPU a request on
this machine (h11 and anyio in pure Python), aiohttp about 0.15–0.25 ms
(``python scripts/bench_http_clients.py``). The week's evening is some
60,000 requests on 2 cores shared with the API and PostgreSQL, so the
client's own cost was a tenth of the week; aiohttp cannot call an ASGI app
without a socket, so the in-process way keeps httpx."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx


@dataclass(frozen=True)
class Reply:
    """One answer: its status and its body."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.body)

    def text(self, limit: int = 300) -> str:
        """The start of the body, for an error message."""
        return self.body[:limit].decode(errors="replace")


class ApiHttp(Protocol):
    """What the demo needs of an HTTP client on the API."""

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        """POST ``body`` to ``path`` (relative to the API's base URL)."""
        ...


class HttpxApi:
    """An ``httpx.AsyncClient`` whose base URL is the API (an ASGI transport
    on the app in this process)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        response = await self.client.post(path, content=body, headers=dict(headers))
        return Reply(response.status_code, response.content)


class AiohttpApi:
    """An ``aiohttp.ClientSession`` on a served API at ``base_url``."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        async with self.session.post(f"{self.base_url}{path}", data=body, headers=headers) as r:
            return Reply(r.status, await r.read())
