"""How every process logs: structlog over the standard library's logging.

The code logs through ``logging.getLogger("tuangou.…")`` as before; one
handler on the root logger renders every record, ours and the libraries'
(uvicorn, SQLAlchemy, procrastinate), through structlog's processors:

- JSON lines in production (one object per line, for the log shipper), and
  readable aligned lines in development;
- each line carries the id of the request (or the job's request) it belongs
  to (``kernel.request_context``), the logger's name, the level and a UTC
  timestamp;
- anything that looks like a credential is masked before it is written:
  fields named like tokens, codes, secrets or passwords, bearer tokens and
  our own token format inside messages. A log is read by more people than
  the database is.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Literal

import structlog
from structlog.types import EventDict, Processor

from kernel.request_context import current_request_id
from kernel.settings import Settings

LogFormat = Literal["auto", "json", "console"]

MASK = "[redacted]"
_SECRET_KEY = re.compile(r"(token|secret|password|passwd|authorization|api_key|code)$", re.I)
# Bearer tokens as sent, our own token format (kernel.accounts.TOKEN_PREFIX),
# and the secret of a query string.
_SECRET_TEXT = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+|\btg_[A-Za-z0-9_-]{16,}|"
    r"((?:secret|access_token|key|sign(?:ature)?|js_code|code|TemplateParam)=)[^&\s]+"
)


def _add_request_id(_: Any, __: str, event: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _mask_text(text: str) -> str:
    return _SECRET_TEXT.sub(lambda m: (m.group(1) or m.group(2) or "") + MASK, text)


def mask_secrets(_: Any, __: str, event: EventDict) -> EventDict:
    """Mask credential-like fields and credential-like text in the message."""
    for key, value in list(event.items()):
        if key != "event" and _SECRET_KEY.search(key) and value is not None:
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = _mask_text(value)
    return event


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
    ]


# Set by configure_logging: where ``log_direct`` writes, and how it renders.
_direct: tuple[logging.Handler, Processor] | None = None
_stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)


def log_direct(logger: logging.Logger, level: int, event: str, fields: dict[str, Any]) -> None:
    """A line written once per request (the access log), rendered like every
    other line but without the standard library's LogRecord, caller lookup
    and formatter chain: that machinery cost more than the rest of an order's
    request handling. The caller checks ``logger.isEnabledFor(level)``; the
    fields must hold no credentials (they are not masked)."""
    direct = _direct
    # Not configured, or a test took the handler away since.
    if direct is None or direct[0] not in logging.root.handlers:
        logger.log(level, event, extra=fields)
        return
    handler, render = direct
    line: EventDict = {"event": event, **fields}
    line["level"] = logging.getLevelName(level).lower()
    line["logger"] = logger.name
    request_id = current_request_id()
    if request_id is not None:
        line["request_id"] = request_id
    rendered = render(None, "", _stamp(None, "", line))
    text = rendered.decode() if isinstance(rendered, bytes) else str(rendered)
    handler.acquire()
    try:
        stream = getattr(handler, "stream", None)
        if stream is not None:
            stream.write(f"{text}\n")
    finally:
        handler.release()


def _compact(_: Any, __: str, event: EventDict) -> str:
    """Development's access lines: structlog's console layout without its
    padding and column machinery, which cost a tenth of a small request."""
    head = f"{event.pop('timestamp', '')} [{event.pop('level', '')}] {event.pop('event', '')}"
    rest = " ".join(f"{k}={v}" for k, v in event.items() if v is not None)
    return f"{head} {rest}"


def _renderer(fmt: Literal["json", "console"]) -> Processor:
    if fmt == "json":
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    return structlog.dev.ConsoleRenderer(colors=False)


def configure_logging(
    fmt: LogFormat = "auto",
    *,
    production: bool = False,
    level: str = "INFO",
    stream: Any = None,
) -> None:
    """Route every log record of this process through structlog. ``auto``
    means JSON in production and readable lines otherwise. Calling it again
    replaces the handler (a test, or a worker process of ``serve``)."""
    chosen: Literal["json", "console"] = (
        ("json" if production else "console") if fmt == "auto" else fmt
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records from logging.getLogger(...): their ``extra`` fields too.
        foreign_pre_chain=[*_shared(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask_secrets,
            _renderer(chosen),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    global _direct
    _direct = (handler, _renderer("json") if chosen == "json" else _compact)
    handler.set_name("tuangou")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "tuangou"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own handlers would print its lines a second time, unmasked.
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Our access log (api/http/access_log.py) replaces uvicorn's, which it
    # writes whenever its logger has a handler anywhere up the tree.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    # A statement per line at INFO would drown everything else. httpx logs
    # every request's URL at INFO and aiosqlite every statement's parameters
    # at DEBUG: an SMS provider's URL carries the code and the phone, WeChat's
    # the secret, and parameters carry whatever the statement wrote.
    for name, floor in (
        ("sqlalchemy.engine", logging.WARNING),
        ("httpx", logging.WARNING),
        ("httpcore", logging.WARNING),
        ("aiosqlite", logging.INFO),
        ("asyncio", logging.INFO),
    ):
        logging.getLogger(name).setLevel(floor)
    structlog.configure(
        processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_from(settings: Settings) -> None:
    """``configure_logging`` as the settings say (TUANGOU_LOG_FORMAT,
    TUANGOU_LOG_LEVEL, TUANGOU_ENV)."""
    configure_logging(
        settings.log_format, production=settings.env == "production", level=settings.log_level
    )
