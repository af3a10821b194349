"""Where the week's residents, leaders and staff send their requests: on
SQLite the app itself in this process (one writer: more processes would
only wait on its lock); on PostgreSQL a ``tuangou serve`` of its own, with
several processes under gunicorn's master, as an operation serves its
evening. One process did all of the week's API work before, beside the
load it was generating, and kept one core busy while the other idled."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import httpx

from api.demo.http import AiohttpApi, ApiHttp
from api.demo.intake import api_client
from api.demo.payments import DemoPay
from api.demo.week_workers import environment, stop_processes
from kernel.settings import Settings
from kernel.wechatpay.transport import KEEPALIVE_S

# The API's processes on PostgreSQL: one per core of the machine the
# figures are taken on (2); the workers and PostgreSQL share them.
API_PROCESSES = 2
READY_WITHIN_S = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Once ``/healthz`` answers; RuntimeError with the log's tail when the
    server exits or does not answer in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_WITHIN_S
    async with httpx.AsyncClient(timeout=2) as probe:
        while loop.time() < deadline:
            if process.poll() is not None:
                break
            try:
                if (await probe.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the week's API server did not start:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def _start(
    port: int, processes: int, env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    command = shutil.which("tuangou") or str(Path(sys.executable).with_name("tuangou"))
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    arguments += ["--workers", str(processes), "--no-migrate"]
    with log_path.open("wb") as log:
        return subprocess.Popen([command, *arguments], env=env, stdout=log, stderr=log)


@asynccontextmanager
async def served(settings: Settings, out: Path, processes: int) -> AsyncIterator[str]:
    """``tuangou serve --workers processes`` on a free local port, with the
    demo's settings (its database, its sandbox, its clock file): its URL
    for the block, stopped afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # Warnings only: an INFO access line per request would be tens of
    # thousands of lines an evening, written by the processes under test.
    env = {**os.environ, **environment(settings), "TUANGOU_LOG_LEVEL": "WARNING"}
    log_path = out / "api.log"
    process = _start(port, processes, env, log_path)
    try:
        await _ready(url, process, log_path)
        yield url
    finally:
        stop_processes([process])


@asynccontextmanager
async def week_api(
    settings: Settings, pay: DemoPay, out: Path, processes: int = API_PROCESSES
) -> AsyncIterator[ApiHttp]:
    """An HTTP client on the week's API: the app in this process on SQLite
    (its WeChat Pay client reaching the sandbox without a socket), a served
    one over real HTTP (aiohttp, api/demo/http.py) on PostgreSQL, unless
    ``processes`` is 0."""
    if settings.is_sqlite or processes == 0:
        async with pay.in_process() as sandbox_http, api_client(settings, sandbox_http) as http:
            yield http
        return
    # Keep-alive connections, one per request in flight and no limit below
    # that, each dropped before uvicorn drops it (see KEEPALIVE_S): an evening
    # after a quiet day reused connections the API was closing, and lost one.
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_S)
    timeout = aiohttp.ClientTimeout(total=300)
    async with (
        served(settings, out, processes) as url,
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
    ):
        yield AiohttpApi(session, url)
