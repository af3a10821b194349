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
    handler.set_name("tuangou")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "tuangou"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own handlers would print its lines a second time, unmasked.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
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
