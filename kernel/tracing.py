"""Optional OpenTelemetry tracing (docs/tracing.md): spans for the SQL each
engine sends and every outgoing httpx call (and the WeChat Pay client's
aiohttp calls, through ``client_span``), each stamped with the id of the
request (or the job's request) it belongs to.

Off by default (``settings.tracing``). The OpenTelemetry packages are the
``tracing`` extra: they are imported inside the functions below, only when
tracing is on, so that a process without them starts as long as it is off.
The instrumentors are process-wide (they patch httpx and SQLAlchemy), so
setting up again in one process (the tests) replaces the earlier set-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kernel.request_context import current_request_id
from kernel.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine


class TracingUnavailable(RuntimeError):
    """Tracing is on, but the ``tracing`` extra is not installed."""


# The attribute that carries the request's id (X-Request-ID) on each span.
REQUEST_ID_ATTRIBUTE = "tuangou.request_id"

# The provider set up last, for the spans made here rather than by an
# instrumentor (which are process-wide in the same way).
_current: list[TracerProvider] = []


def setup_tracing(
    settings: Settings, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """The process's tracer provider when ``settings.tracing`` is on, else
    None (and nothing of OpenTelemetry imported).

    Spans are sampled by trace id at ``tracing_sample_ratio`` unless the
    caller's trace (a ``traceparent`` header) already decided. They go in
    batches to the OTLP/HTTP ``tracing_endpoint`` when one is set, and one by
    one to ``exporter`` when one is given (the tests' in-memory exporter).
    Outgoing httpx calls are traced from here on."""
    if not settings.tracing:
        return None
    try:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    except ModuleNotFoundError as exc:
        raise TracingUnavailable(
            "TUANGOU_TRACING is on but OpenTelemetry is not installed: "
            "pip install 'tuangou[tracing]'"
        ) from exc
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        sampler=ParentBased(TraceIdRatioBased(settings.tracing_sample_ratio)),
        resource=Resource.create({SERVICE_NAME: settings.tracing_service_name}),
    )
    # First, so that the exporters below see the id on every span.
    provider.add_span_processor(_request_id_processor())
    if settings.tracing_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.tracing_endpoint))
        )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    httpx_instrumentor = HTTPXClientInstrumentor()
    if httpx_instrumentor.is_instrumented_by_opentelemetry:
        httpx_instrumentor.uninstrument()
    httpx_instrumentor.instrument(tracer_provider=provider)
    _current[:] = [provider]
    return provider


def _no_status(status: int) -> None:
    pass


@contextmanager
def client_span(method: str, url: str, headers: dict[str, str]) -> Iterator[Callable[[int], None]]:
    """A CLIENT span around one outgoing request sent by a client no
    instrumentor patches (aiohttp, kernel/wechatpay/transport.py), its trace
    context put into ``headers``; yields what to call with the answer's
    status. Nothing at all when tracing is off."""
    if not _current:
        yield _no_status
        return
    from opentelemetry import propagate, trace

    tracer = _current[0].get_tracer("tuangou.http.client")
    attributes = {"http.request.method": method, "url.full": url}
    with tracer.start_as_current_span(
        method, kind=trace.SpanKind.CLIENT, attributes=attributes
    ) as span:
        propagate.inject(headers)
        yield lambda status: span.set_attribute("http.response.status_code", status)


def instrument_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    """Trace each statement ``engine`` sends (and the engines derived from
    it with ``execution_options``, which share its events)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    # The instrumentation declares SQLAlchemy < 2.1 and otherwise refuses
    # with only a log line; the engine events it listens to are unchanged in
    # 2.1 (tests/kernel/test_tracing.py checks the spans).
    instrumentor.instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )


def start_tracing(settings: Settings, engine: AsyncEngine) -> TracerProvider | None:
    """``setup_tracing`` and ``instrument_engine`` for a process's engine,
    when tracing is on (``tuangou worker``, the API)."""
    provider = setup_tracing(settings)
    if provider is not None:
        instrument_engine(engine, provider)
    return provider


def stop_tracing(provider: TracerProvider | None) -> None:
    """Undo the set-up: unpatch httpx and SQLAlchemy and flush and close
    ``provider``'s exporters (the tests' teardown)."""
    if provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    for instrumentor in (HTTPXClientInstrumentor(), SQLAlchemyInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    if provider in _current:
        _current.clear()
    provider.shutdown()


def _request_id_processor() -> SpanProcessor:
    """A span processor that stamps each span started inside a request (or
    a job run for one) with the request's id: the id that the logs, the
    audit log and the response's X-Request-ID carry, to go from one to the
    other."""
    from opentelemetry.sdk.trace import SpanProcessor

    # Defined here: its base class is imported only when tracing is on.
    class RequestIdProcessor(SpanProcessor):
        def on_start(self, span: Span, parent_context: Context | None = None) -> None:
            request_id = current_request_id()
            if request_id is not None:
                span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)

    return RequestIdProcessor()
