"""The orderCreate benchmark's server, ``tuangou serve`` in a session of its
own, and the CPU its workers and the whole PostgreSQL server use."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench_orders_seed import TOKEN_SECRET
from benchdb import create_database, drop_database, libpq

# The server runs from the project root.
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tuangou_executable() -> str:
    beside = Path(sys.executable).parent / "tuangou"
    if beside.exists():
        return str(beside)
    found = shutil.which("tuangou")
    if found is None:
        raise SystemExit("cannot find the 'tuangou' console script; pip install -e . first")
    return found


def _is_resource_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


class Server:
    def __init__(
        self, url: str, workers: int, log_path: Path, pool_size: int, kind: str = "tuangou"
    ) -> None:
        self.kind = kind
        self.url = url
        self.workers = workers
        self.pool_size = pool_size
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        import httpx

        env = dict(os.environ)
        env.update(
            TUANGOU_DATABASE_URL=self.url,
            TUANGOU_GRAPHIQL="false",
            TUANGOU_TOKEN_SECRET=TOKEN_SECRET,
            TUANGOU_GEOCODER="none",
            TUANGOU_DB_POOL_SIZE=str(self.pool_size),
        )
        cmd = self._command(env)
        log = self.log_path.open("wb")
        # Its own session: a Ctrl-C at the terminal reaches us, and we stop it.
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                healthy = httpx.get(self.base + "/healthz", timeout=2).status_code == 200
                # With several workers, wait until they have all been started.
                if healthy and len(self.worker_pids()) >= (self.workers if self.workers > 1 else 0):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not healthy after {timeout:.0f}s:\n{self.log_tail()}")

    def _command(self, env: dict[str, str]) -> list[str]:
        if self.kind == "gunicorn":
            # The supported multi-process setup, for comparison: gunicorn's
            # master shares one listening socket among uvicorn workers.
            env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tuangou-metrics-")
            return [
                str(Path(sys.executable).parent / "gunicorn"),
                "-k", "uvicorn_worker.UvicornWorker", "-w", str(self.workers),
                "--reuse-port", "-b", f"127.0.0.1:{self.port}", "api.http.app:serve_app()",
            ]  # fmt: skip
        return [
            tuangou_executable(), "serve", "--workers", str(self.workers),
            "--no-migrate", "--port", str(self.port),
        ]  # fmt: skip

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (the server itself with one worker)."""
        if self.proc is None:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        pids = [int(p) for p in children.split() if not _is_resource_tracker(int(p))]
        return pids or [self.proc.pid]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # The group is the server and the workers it forked (start_new_session).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def postmaster_pid(admin_url: str) -> int | None:
    """The local PostgreSQL server's postmaster: the parent of a backend."""
    import psycopg

    try:
        with psycopg.connect(libpq(admin_url), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
        stat = Path(f"/proc/{int(row[0])}/stat").read_text()  # type: ignore[index]
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (psycopg.Error, OSError, ValueError, TypeError):
        return None  # not a server on this machine


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds the whole PostgreSQL server has used so far: the postmaster,
    its live children, and every child it has reaped (``cutime``/``cstime``).
    A backend that a pool opens and closes during the run counts too; summing
    the backends alive at the end missed those."""
    if postmaster is None:
        return 0.0
    try:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    except OSError:
        return 0.0
    reaped_and_own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return reaped_and_own + sum(proc_cpu(int(pid)) for pid in children)


def system_busy() -> tuple[float, float]:
    """(busy jiffies, total jiffies) from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return float(sum(parts) - idle), float(sum(parts))


@contextlib.contextmanager
def throwaway_run(
    admin_url: str, name: str, server: Server, workdir: Path, server_log: Path | None
) -> Iterator[None]:
    """One benchmark run's own database ``name`` and ``server``: created on
    entry, and gone on the way out however it ends (an error shows the
    server's log tail first; Ctrl-C or SIGTERM comes out as KeyboardInterrupt,
    after the cleanup, for the caller to exit 130)."""

    def on_sigterm(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Even when started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    created = False
    try:
        print(f"database {name}: creating and migrating", flush=True)
        create_database(admin_url, name)
        created = True
        yield
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        raise
    except Exception:
        tail = server.log_tail()
        if tail:
            print("server log (tail):\n" + tail, file=sys.stderr)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            server.stop()
        finally:
            if created:
                try:
                    drop_database(admin_url, name)
                except Exception as exc:
                    print(f"could not drop database {name}: {exc}", file=sys.stderr)
            if server_log is not None and server.log_path.exists():
                shutil.copy(server.log_path, server_log)
            shutil.rmtree(workdir, ignore_errors=True)


def say_if_died(server: Server) -> None:
    """A server that died mid-run says why (before the figures' JSON line)."""
    if server.proc is not None and server.proc.poll() is not None:
        print("server died during the run:\n" + server.log_tail())
