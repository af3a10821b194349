"""gunicorn's settings for ``tuangou serve --workers N`` (api/http/serving.py).

A config module rather than a command line: the hooks below are code."""

from __future__ import annotations

import os
import shutil
from typing import Any

from prometheus_client import multiprocess

worker_class = "uvicorn_worker.UvicornWorker"
# Each worker builds the app after the fork: no database connection, event
# loop or metric file crosses a fork.
preload_app = False
# Balanced as measured (docs in serving.py); serving.check_port_free keeps
# another server from joining the port.
reuse_port = True
# Our access log (api/http/access_log.py) has the GraphQL operation and the
# viewer; gunicorn's would repeat each line without them.
accesslog = None
graceful_timeout = 30
timeout = 60

OWNED_DIR = "TUANGOU_METRICS_DIR_OWNED"


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exited (restarted, crashed) takes its per-process
    gauges out of the sums (prometheus-client's multiprocess rule)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """The metrics directory ``tuangou serve`` made for this run goes with it."""
    if os.environ.get(OWNED_DIR):
        shutil.rmtree(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""), ignore_errors=True)
