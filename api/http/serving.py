"""Several API processes on one port: gunicorn's master with uvicorn workers
(uvicorn-worker), the setup both projects support.

Before this, ``tuangou serve`` handed uvicorn's own supervisor a socket per
worker through its internals. Measured side by side on PostgreSQL
(``scripts/bench_orders.py --server gunicorn``, 2 workers, 32 keep-alive
clients, medians of three 10 s runs): 670 orders/s with gunicorn against 656
before, p99 73 against 83 ms, and a burst of keep-alive connections lands on
both workers (tests/api/test_e2e_server.py) — the imbalance the old sockets
were made for does not happen under gunicorn's master.

gunicorn restarts a worker that dies, stops gracefully on SIGTERM and reloads
on SIGHUP. Each worker builds its own app (``api.http.app:serve_app``), so
nothing is shared between processes but the port.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile

from api.http.gunicorn_conf import OWNED_DIR
from kernel.metrics import MULTIPROC_ENV, clear_multiprocess_directory


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _shown(host: str, port: int) -> str:
    """``host:port`` as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if _family(host) == socket.AF_INET6 else f"{host}:{port}"


class PortInUse(Exception):
    """Something else already listens on the address the workers want."""


def check_port_free(host: str, port: int) -> None:
    """Refuse a port something listens on, before any worker starts. A plain
    bind, not a reuse-port one: that would silently join another server's
    listener (another ``tuangou serve``) and split the traffic with it."""
    try:
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise PortInUse(f"cannot listen on {_shown(host, port)}: {exc.strerror or exc}") from exc


def exec_workers(host: str, port: int, workers: int) -> None:
    """Become gunicorn's master serving ``workers`` processes (this process
    is replaced: signals, restarts and shutdown are gunicorn's). Raises
    PortInUse before that.

    Exec'd, not embedded: prometheus-client picks its storage when first
    imported, and this process imported it long before; gunicorn's workers
    are forks of its master, so the master must start with
    ``PROMETHEUS_MULTIPROC_DIR`` already set for them to share their metrics."""
    check_port_free(host, port)
    env = dict(os.environ)
    given = env.get(MULTIPROC_ENV)
    if given:
        clear_multiprocess_directory(given)
    else:
        env[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="tuangou-metrics-")
        env[OWNED_DIR] = "1"
    argv = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:api.http.gunicorn_conf",
        "--bind", _shown(host, port), "--workers", str(workers),
        "api.http.app:serve_app()",
    ]  # fmt: skip
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
