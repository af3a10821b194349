"""What an HTTP client costs the process that sends: httpx against aiohttp.

    python scripts/bench_http_clients.py [--requests 4000] [--concurrency 1,8,32] [--runs 3]

A uvicorn server in its own process answers ``POST /echo`` with a small JSON
body (a WeChat Pay answer's size). Each client sends ``--requests`` POSTs
over keep-alive connections, ``--concurrency`` in flight, and its CPU time
(``time.process_time``: this process only, not the server's) is divided by
the requests. The clients take turns, run after run, so that both see the
same machine. Why it matters: the demo's week and the platform's WeChat Pay
client send one request per order paid (api/demo/http.py,
kernel/wechatpay/transport.py). Prints a table of medians, then as its last
line one JSON object: {"httpx_cpu_ms", "aiohttp_cpu_ms"} per request at the
highest concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
from rich.console import Console
from rich.table import Table

SERVER = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def echo(request):
    await request.body()
    answer = b'{"code_url":"weixin://wxpay/bizpayurl?pr=abcdefg"}'
    return Response(answer, media_type="application/json")

app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
"""
ORDER = {"description": "社区团购订单 2612135352599720", "amount": {"total": 1059}}
BODY = json.dumps(ORDER, ensure_ascii=False).encode()
HEADERS = {"Content-Type": "application/json", "Authorization": "WECHATPAY2-SHA256-RSA2048 x"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", SERVER + _SERVE.format(port=port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("the echo server did not start")


_SERVE = """
import uvicorn
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


async def _spread(send: Callable[[], Awaitable[None]], requests: int, concurrency: int) -> None:
    async def worker(count: int) -> None:
        for _ in range(count):
            await send()

    share, extra = divmod(requests, concurrency)
    await asyncio.gather(*(worker(share + (i < extra)) for i in range(concurrency)))


async def _httpx(url: str, requests: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def send() -> None:
            response = await client.post(url, content=BODY, headers=HEADERS)
            assert response.status_code == 200
            response.json()

        await _spread(send, requests, concurrency)


async def _aiohttp(url: str, requests: int, concurrency: int) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def send() -> None:
            async with session.post(url, data=BODY, headers=HEADERS) as response:
                assert response.status == 200
                json.loads(await response.read())

        await _spread(send, requests, concurrency)


CLIENTS = {"httpx": _httpx, "aiohttp": _aiohttp}


def _cpu_ms_per_request(client: str, url: str, requests: int, concurrency: int) -> float:
    started = time.process_time()
    asyncio.run(CLIENTS[client](url, requests, concurrency))
    return 1000 * (time.process_time() - started) / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    port = _free_port()
    server = _start_server(port)
    url = f"http://127.0.0.1:{port}/echo"
    figures: dict[tuple[str, int], list[float]] = {}
    try:
        for concurrency in levels:
            for _ in range(args.runs):
                for client in CLIENTS:
                    cpu = _cpu_ms_per_request(client, url, args.requests, concurrency)
                    figures.setdefault((client, concurrency), []).append(cpu)
    finally:
        server.terminate()
        server.wait(10)
    table = Table(title=f"Client CPU per request, median of {args.runs} runs", title_justify="left")
    table.add_column("in flight", justify="right")
    for client in CLIENTS:
        table.add_column(f"{client} ms", justify="right")
    for concurrency in levels:
        cells = [f"{statistics.median(figures[c, concurrency]):.3f}" for c in CLIENTS]
        table.add_row(str(concurrency), *cells)
    Console().print(table)
    top = levels[-1]
    print(
        json.dumps(
            {
                f"{client}_cpu_ms": round(statistics.median(figures[client, top]), 3)
                for client in CLIENTS
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
