"""Optional tracing (issue 20, docs/tracing.md): with ``tracing`` on, a
GraphQL request is a server span with the SQL it ran as child spans, and
every span carries the request's id; probes are not traced; outgoing httpx
calls, and the WeChat Pay client's over aiohttp, are client spans; off (the
default), nothing of OpenTelemetry is even imported."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from api.http.app import create_app
from api.sandbox.state import SandboxKeys
from kernel.accounts import Role
from kernel.request_context import request_scope
from kernel.tracing import REQUEST_ID_ATTRIBUTE, setup_tracing, stop_tracing
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import SignatureError
from tests import conftest
from tests.conftest import TestDB

VIEWER = "{ viewer { id } }"


@pytest.fixture
async def traced(db: TestDB) -> AsyncIterator[tuple[httpx.AsyncClient, InMemorySpanExporter]]:
    """A client on an app with tracing on, and the spans it exported."""
    app = create_app(conftest.test_settings(db.url, tracing=True))
    exporter = InMemorySpanExporter()
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield http, exporter
    finally:
        stop_tracing(app.state.tracer_provider)


def _is_sql(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    return "db.system" in attributes or "db.system.name" in attributes


async def test_a_graphql_request_is_a_server_span_over_its_sql(
    db: TestDB, traced: tuple[httpx.AsyncClient, InMemorySpanExporter]
) -> None:
    http, exporter = traced
    _, token = await db.user(Role.OPERATOR)
    exporter.clear()  # the fixtures' own SQL ran on another engine, untraced

    response = await http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-me-20"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["id"]
    spans = exporter.get_finished_spans()
    [server] = [span for span in spans if span.kind == SpanKind.SERVER]
    assert server.name == "POST /graphql"
    assert server.parent is None
    # The lifespan's inline job runner has SQL of its own: traces of their own.
    request = [span for span in spans if span.context.trace_id == server.context.trace_id]
    sql = [span for span in request if _is_sql(span)]
    assert sql, [span.name for span in spans]
    for span in sql:
        assert span.parent is not None and span.parent.span_id == server.context.span_id
    for span in request:
        assert (span.attributes or {}).get(REQUEST_ID_ATTRIBUTE) == "trace-me-20", span.name
    assert server.resource.attributes["service.name"] == "tuangou"


async def test_probes_are_not_traced(
    traced: tuple[httpx.AsyncClient, InMemorySpanExporter],
) -> None:
    http, exporter = traced
    for path in ("/healthz", "/readyz"):  # 503 without a worker on PostgreSQL: no matter
        await http.get(path)
    page = await http.get("/app/")
    assert page.status_code == 200
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans if span.kind == SpanKind.SERVER] == ["GET /app/"]
    # Nor their SQL (readyz's checks): what carries a request id is the page's.
    assert {(span.attributes or {}).get(REQUEST_ID_ATTRIBUTE) for span in spans} <= {
        None,
        page.headers["X-Request-ID"],
    }


@pytest.fixture
async def local_server() -> AsyncIterator[str]:
    """An HTTP server on loopback answering 204 to anything."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


async def test_outgoing_httpx_calls_are_client_spans_with_the_request_id(
    local_server: str, exported: InMemorySpanExporter
) -> None:
    settings = conftest.test_settings("sqlite+aiosqlite://", tracing=True)
    provider = setup_tracing(settings, exporter=exported)
    try:
        with request_scope("job-of-request-7"):
            async with httpx.AsyncClient() as client:
                assert (await client.get(local_server)).status_code == 204
    finally:
        stop_tracing(provider)
    [span] = exported.get_finished_spans()
    assert span.kind == SpanKind.CLIENT
    assert (span.attributes or {})[REQUEST_ID_ATTRIBUTE] == "job-of-request-7"


async def test_wechatpay_calls_are_client_spans_that_carry_the_trace(
    exported: InMemorySpanExporter,
) -> None:
    heads: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")).split(
                b":"
            )[1]
        )
        await reader.readexactly(length)
        heads.append(head)
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = SandboxKeys.generate().client_config(f"http://127.0.0.1:{port}", "")
    settings = conftest.test_settings("sqlite+aiosqlite://", tracing=True)
    provider = setup_tracing(settings, exporter=exported)
    try:
        async with server, WechatPayClient(config) as client:
            with request_scope("request-of-a-payment"), pytest.raises(SignatureError):
                # Unsigned, so not believed; the call was still made and traced.
                await client.close("2612135352599720")
    finally:
        stop_tracing(provider)
    [span] = exported.get_finished_spans()
    attributes = span.attributes or {}
    assert span.kind == SpanKind.CLIENT and span.name == "POST"
    assert attributes["http.response.status_code"] == 204
    assert attributes[REQUEST_ID_ATTRIBUTE] == "request-of-a-payment"
    # The provider's side can join the trace: the span's id travelled.
    [head] = heads
    assert f"-{span.context.span_id:016x}-".encode() in head.lower()


async def test_a_zero_sample_ratio_keeps_no_trace(
    local_server: str, exported: InMemorySpanExporter
) -> None:
    settings = conftest.test_settings("sqlite+aiosqlite://", tracing=True, tracing_sample_ratio=0.0)
    provider = setup_tracing(settings, exporter=exported)
    try:
        async with httpx.AsyncClient() as client:
            await client.get(local_server)
    finally:
        stop_tracing(provider)
    assert exported.get_finished_spans() == ()


def test_spans_go_to_the_otlp_endpoint() -> None:
    received: list[tuple[str, str]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"
    settings = conftest.test_settings(
        "sqlite+aiosqlite://", tracing=True, tracing_endpoint=endpoint
    )
    provider = setup_tracing(settings)
    assert provider is not None
    try:
        with provider.get_tracer("test").start_as_current_span("work"):
            pass
        assert provider.force_flush(10_000)
    finally:
        stop_tracing(provider)
        server.shutdown()
        server.server_close()
    assert received == [("/v1/traces", "application/x-protobuf")]


def test_off_by_default_nothing_is_traced(exported: InMemorySpanExporter) -> None:
    settings = conftest.test_settings("sqlite+aiosqlite://")
    assert settings.tracing is False
    assert setup_tracing(settings, exporter=exported) is None


def test_off_the_app_starts_without_opentelemetry(tmp_path: Any) -> None:
    # A fresh interpreter (this one has imported OpenTelemetry for the tests
    # above) where the tracing extra is not installed, as far as imports go.
    script = (
        "import sys\n"
        "class NotInstalled:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'opentelemetry':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NotInstalled())\n"
        "from api.http.app import create_app\n"
        "from kernel.settings import Settings\n"
        f"app = create_app(Settings(database_url='sqlite+aiosqlite:///{tmp_path}/t.db'))\n"
        "assert app.state.tracer_provider is None\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
