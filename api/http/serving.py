"""Several uvicorn workers on one port, each with a listening socket of its own.

uvicorn's workers share the parent's one listening socket, and whichever
worker wakes first accepts every connection waiting in the queue. Clients that
keep their connections open (a gateway, a mini-program backend, the order
benchmark) then often all land on one worker while the other idles: measured
here, 32 of 32 keep-alive connections on one of two workers in most runs.

With ``SO_REUSEPORT`` each worker listens on a socket of its own bound to the
same address, and the kernel spreads new connections across them by a hash of
the client's address and port. uvicorn's own supervisor still starts, watches,
restarts and stops the workers: it is handed a placeholder that, when a worker
unpickles it, binds that worker's socket.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _shown(host: str, port: int) -> str:
    """``host:port`` as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if _family(host) == socket.AF_INET6 else f"{host}:{port}"


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` set, not yet
    listening (uvicorn's server calls listen on it)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class WorkerSocket:
    """Stands in for a socket in the list uvicorn passes to each worker; it
    becomes a socket of the worker's own when the worker unpickles it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return (reuseport_socket, (self.host, self.port))


class PortInUse(Exception):
    """Something else already listens on the address the workers want."""


def hold_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (a free port when ``port`` is 0) with
    ``SO_REUSEPORT``, never listening: it keeps the port while workers come
    and go, and the kernel sends it no connections."""
    # A plain bind first. A reuseport bind would silently join any listener
    # of the same user on the port (another `tuangou serve`, the orphaned
    # workers of a killed one) and split the traffic with it.
    try:
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            port = probe.getsockname()[1]
        return reuseport_socket(host, port)
    except OSError as exc:
        raise PortInUse(f"cannot listen on {_shown(host, port)}: {exc.strerror or exc}") from exc


def run_workers(config: uvicorn.Config) -> None:
    """Serve ``config`` from ``config.workers`` processes until a signal stops
    them (uvicorn's supervisor: SIGINT/SIGTERM stop, SIGHUP restarts, a dead
    worker is replaced). Raises PortInUse before starting any worker.

    When a worker exits (a restart, a crash), the connections still waiting in
    its own accept queue are reset; Linux 5.14+ hands them to the other
    workers with ``sysctl net.ipv4.tcp_migrate_req=1``."""
    if not sys.platform.startswith("linux"):
        # Elsewhere SO_REUSEPORT does not spread connections (on macOS the
        # last socket bound gets them all): uvicorn's shared socket is better.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    holder = hold_port(config.host, config.port)
    port = holder.getsockname()[1]
    # uvicorn's own line, which its shared-socket path would have printed.
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s with %d workers, one socket each (Press CTRL+C to quit)",
        _shown(config.host, port),
        config.workers,
    )
    try:
        placeholder: Any = WorkerSocket(config.host, port)
        Multiprocess(config, sockets=[placeholder]).run()
    finally:
        holder.close()
