"""A PostgreSQL cluster of a test's own, for faults: it can be restarted or
stopped without disturbing the server every other test uses.

``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` account (``runuser``); as any other user it is that user's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cluster:
    data: Path
    port: int
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        command = [str(BIN / "pg_ctl"), "-D", str(self.data), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        self._ctl("-o", options, "-l", str(self.data / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A fresh cluster on a free port, started; stopped and removed after."""
    if not (BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15's server binaries are not installed")
    as_postgres = os.geteuid() == 0
    # Not under pytest's tmp_path: as root that is private to root, and the
    # server runs as postgres.
    home = Path(tempfile.mkdtemp(prefix="tuangou-pg-"))
    data = home / "pgdata"
    data.mkdir(mode=0o700)
    if as_postgres:
        shutil.chown(home, "postgres")
        shutil.chown(data, "postgres")
    command = [str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    cluster = Cluster(data, _free_port(), as_postgres)
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test
            cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
