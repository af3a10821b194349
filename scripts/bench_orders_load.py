"""The orderCreate benchmark's load generator, run in a process of its own:
keep-alive HTTP/1.1 clients placing random orders for a warm-up, then for
the measured seconds (or number of orders), each request classified and
timed."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import random
import signal
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

ORDER_CREATE = (
    "mutation($input: OrderCreateInput!) { orderCreate(input: $input) { "
    "order { id number status totalFen } userErrors { field code message } } }"
)


@dataclass
class LoadConfig:
    base: str
    clients: int
    warmup: float
    seconds: float
    orders: int | None
    tokens: list[str]
    point_gids: list[str]
    item_gids: list[str]
    timeout: float = 30.0


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    http_errors: int = 0
    graphql_errors: int = 0
    user_errors: int = 0
    other_errors: int = 0  # 200 with neither an order nor an error
    warmup_ok: int = 0
    warmup_failed: int = 0
    elapsed: float = 0.0
    cpu_s: float = 0.0
    samples: dict[str, str] = field(default_factory=dict)


def _classify(result: LoadResult, status: int, body: Any, text: str) -> str:
    if status != 200 or not isinstance(body, dict):
        result.samples.setdefault("http", f"{status}: {text[:300]}")
        return "http"
    if body.get("errors"):
        result.samples.setdefault("graphql", json.dumps(body["errors"])[:300])
        return "graphql"
    payload = (body.get("data") or {}).get("orderCreate") or {}
    if payload.get("userErrors"):
        result.samples.setdefault("user", json.dumps(payload["userErrors"])[:300])
        return "user"
    if (payload.get("order") or {}).get("id"):
        return "ok"
    result.samples.setdefault("other", text[:300])
    return "other"


class Connection:
    """One keep-alive HTTP/1.1 connection of the load generator: a request
    written whole, a response read by its Content-Length (uvicorn always
    sends one). The load shares the two cores with the server it measures:
    aiohttp's client, before it, took 15-16 % of them, this takes 9 %."""

    def __init__(self, base: str, timeout: float) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port, self.timeout = host, int(port or 80), timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: bytes) -> tuple[int, bytes]:
        async with asyncio.timeout(self.timeout):
            if self.writer is None or self.reader is None or self.reader.at_eof():
                self.close()
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
            ).encode()
            self.writer.write(request + headers + b"\r\n" + body)
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                fields = dict(
                    line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line
                )
                named = {k.strip().lower(): v.strip().lower() for k, v in fields.items()}
                if status in (204, 304):  # never a body (RFC 9110), nor a length
                    body = b""
                elif b"content-length" not in named:
                    raise ConnectionError("response without Content-Length")
                else:
                    body = await self.reader.readexactly(int(named[b"content-length"]))
                if named.get(b"connection") == b"close":
                    self.close()  # the next request opens a new connection
                return status, body
            except BaseException:
                self.close()  # a half-read response leaves the stream unusable
                raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class _Driver:
    """The clients of one load-generator run and what they share: the result,
    the clock's marks, and the count of measured requests issued."""

    def __init__(self, cfg: LoadConfig) -> None:
        self.cfg = cfg
        self.result = LoadResult()
        self.rng = random.Random()
        self.headers_by_token = [
            f"Authorization: Bearer {t}\r\nContent-Type: application/json\r\n".encode()
            for t in cfg.tokens
        ]
        start = time.perf_counter()
        self.warmup_end = start + cfg.warmup
        self.measure_end = self.warmup_end + cfg.seconds
        self.issued = 0
        self.last_done = self.warmup_end

    async def one(self, http: Connection) -> tuple[str, float]:
        """One random order: its kind of outcome and its latency in ms."""
        cfg, result, rng = self.cfg, self.result, self.rng
        lines = [
            {"campaignItemId": gid, "quantity": rng.randint(1, 2)}
            for gid in rng.sample(cfg.item_gids, rng.randint(1, 3))
        ]
        body = json.dumps(
            {
                "query": ORDER_CREATE,
                "variables": {
                    "input": {
                        "pickupPointId": rng.choice(cfg.point_gids),
                        "lines": lines,
                        "idempotencyKey": uuid.uuid4().hex,
                    }
                },
            }
        ).encode()
        t0 = time.perf_counter()
        try:
            status, raw = await http.post("/graphql", body, rng.choice(self.headers_by_token))
            text = raw.decode("utf-8", "replace")
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            kind = _classify(result, status, parsed, text)
        except (
            OSError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
        ) as exc:
            result.samples.setdefault("http", f"{type(exc).__name__}: {exc}")
            kind = "http"
        return kind, (time.perf_counter() - t0) * 1000.0

    async def client(self) -> None:
        http = Connection(self.cfg.base, self.cfg.timeout)
        try:
            await self.drive(http)
        finally:
            http.close()

    async def drive(self, http: Connection) -> None:
        cfg, result = self.cfg, self.result
        while True:
            now = time.perf_counter()
            measured = now >= self.warmup_end
            if measured:
                if now >= self.measure_end or (
                    cfg.orders is not None and self.issued >= cfg.orders
                ):
                    return
                self.issued += 1
            kind, ms = await self.one(http)
            if not measured:
                if kind == "ok":
                    result.warmup_ok += 1
                else:
                    result.warmup_failed += 1
                continue
            self.last_done = max(self.last_done, time.perf_counter())
            result.latencies_ms.append(ms)
            if kind == "ok":
                result.ok += 1
            elif kind == "http":
                result.http_errors += 1
            elif kind == "graphql":
                result.graphql_errors += 1
            elif kind == "user":
                result.user_errors += 1
            else:
                result.other_errors += 1


async def _drive(cfg: LoadConfig) -> LoadResult:
    driver = _Driver(cfg)
    result = driver.result
    cpu0 = time.process_time()
    await asyncio.gather(*(driver.client() for _ in range(cfg.clients)))
    result.cpu_s = time.process_time() - cpu0
    result.elapsed = max(driver.last_done - driver.warmup_end, 1e-9)
    return result


def loadgen_main(cfg: LoadConfig, conn: Any) -> None:
    """Entry point of the load-generator process: runs, sends back a LoadResult."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        conn.send(("ok", asyncio.run(_drive(cfg))))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_load(cfg: LoadConfig) -> LoadResult:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=loadgen_main, args=(cfg, child), name="bench-loadgen")
    proc.start()
    child.close()
    try:
        limit = cfg.warmup + cfg.seconds + cfg.timeout + 60
        if not parent.poll(limit):
            raise RuntimeError("the load generator did not finish in time")
        status, payload = parent.recv()
        if status != "ok":
            raise RuntimeError(f"load generator failed: {payload}")
        return payload  # type: ignore[no-any-return]
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()
