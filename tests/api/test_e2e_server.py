"""The real server: `tuangou serve` in its own process, spoken to over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

TUANGOU = str(Path(sys.executable).with_name("tuangou"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TUANGOU_DATABASE_URL": database_url,
        "TUANGOU_TOKEN_SECRET": "e2e-secret",
    }


@contextmanager
def serving(env: dict[str, str], cwd: Path, *args: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [TUANGOU, "serve", "--port", str(port), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TUANGOU, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def viewer_name(base: str, token: str) -> str:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": "{ viewer { name role } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    viewer = response.json()["data"]["viewer"]
    assert viewer["role"] == "OPERATOR"
    return str(viewer["name"])


def test_embedded_default_creates_database_serves_graphiql_and_tokens(tmp_path: Path) -> None:
    env = env_for("sqlite+aiosqlite:///./tuangou.db")
    with serving(env, tmp_path) as base:
        assert (tmp_path / "tuangou.db").exists()
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == {"ok": True}

        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()

        created = cli(env, tmp_path, "users", "create", "--role", "operator", "--name", "运营小王")
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        assert token.startswith("tg_")
        assert viewer_name(base, token) == "运营小王"

        anonymous = httpx.post(f"{base}/graphql", json={"query": "{ leaders { nodes { id } } }"})
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # The token is stored only as a digest: the database file does not contain it.
    assert token.encode() not in (tmp_path / "tuangou.db").read_bytes()


def test_readiness_is_503_without_a_database(tmp_path: Path) -> None:
    # Nothing listens on port 1: the database cannot be reached. The process
    # itself is alive, so /healthz still answers (a restart would not help).
    env = env_for("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with serving(env, tmp_path, "--no-migrate") as base:
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503
        assert "database" in ready.json()["failed"]


def test_postgres_with_two_worker_processes(tmp_path: Path, postgres_url: str) -> None:
    env = env_for(postgres_url)
    created = cli(env, tmp_path, "users", "create", "--role", "operator", "--name", "值班运营")
    assert created.returncode == 0, created.stderr
    with serving(env, tmp_path, "--workers", "2", "--no-migrate") as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        names = {viewer_name(base, created.stdout.strip()) for _ in range(6)}
        assert names == {"值班运营"}


def _processes_with_sockets(port: int, state: str) -> set[int]:
    """PIDs holding a TCP socket whose local port is ``port`` in ``state``
    (``/proc/net/tcp`` codes: 0A listening, 01 established)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(f"socket:[{fields[9]}]")
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:  # the process ended or is not ours to read
            continue
    return pids


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc")
def test_two_workers_share_keep_alive_clients_that_connect_at_once(
    tmp_path: Path, postgres_url: str
) -> None:
    # A gateway opens its pool of keep-alive connections in one burst. With one
    # socket shared by the workers, the first to wake accepted them all and the
    # other worker idled for as long as they stayed open.
    env = env_for(postgres_url)
    with serving(env, tmp_path, "--workers", "2", "--no-migrate") as base:
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 30
        while len(_processes_with_sockets(port, "0A")) < 2:
            assert time.monotonic() < deadline, "two workers never listened"
            time.sleep(0.2)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(24)]
        try:
            deadline = time.monotonic() + 10
            while len(holders := _processes_with_sockets(port, "01")) < 2:
                assert time.monotonic() < deadline, f"all 24 connections went to {holders}"
                time.sleep(0.1)
            for client in clients:
                client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert client.recv(4096).startswith(b"HTTP/1.1 200")
        finally:
            for client in clients:
                client.close()


def _serve_on(port: int, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TUANGOU, "serve", "--port", str(port), "--workers", "2", "--no-migrate"],
        cwd=cwd,
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_says_so_when_the_port_is_taken(tmp_path: Path, postgres_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve_on(port, tmp_path, postgres_url)
    assert result.returncode != 0
    assert f"127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr

    # Another `tuangou serve` on the port: its workers' sockets would let a
    # second server's join them and split the traffic, so it is refused too.
    with serving(env_for(postgres_url), tmp_path, "--workers", "2", "--no-migrate") as base:
        port = int(base.rsplit(":", 1)[1])
        second = _serve_on(port, tmp_path, postgres_url)
        assert second.returncode != 0
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
        assert httpx.get(f"{base}/healthz").status_code == 200


def test_cli_lists_commands_and_reports_mistakes_in_one_line(tmp_path: Path) -> None:
    env = env_for("sqlite+aiosqlite:///./tuangou.db")
    help_text = cli(env, tmp_path, "--help").stdout
    for command in ("serve", "worker", "db", "users", "schema"):
        assert command in help_text
    bad = cli(env, tmp_path, "users", "create", "--role", "emperor", "--name", "x")
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr + bad.stdout
    embedded_worker = cli(env, tmp_path, "worker")
    assert embedded_worker.returncode == 1
    assert "PostgreSQL" in embedded_worker.stderr
    assert "Traceback" not in embedded_worker.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_file_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        ["docker-compose", "-f", str(root / "docker-compose.yml"), "config", "-q"],
        env={
            **os.environ,
            "POSTGRES_PASSWORD": "compose-check",
            "TUANGOU_TOKEN_SECRET": "compose-check",
            "TUANGOU_PICKUP_QR_SECRET": "compose-check",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_compose_defaults_keep_to_the_connection_budget() -> None:
    """The README's table: four API processes and four workers, each with its
    pool and the queue client's four, under PostgreSQL's 100 less 3 reserved."""
    root = Path(__file__).resolve().parents[2]
    secrets = ("POSTGRES_PASSWORD", "TUANGOU_TOKEN_SECRET", "TUANGOU_PICKUP_QR_SECRET")
    result = subprocess.run(
        ["docker-compose", "-f", str(root / "docker-compose.yml"), "config"],
        env={**os.environ, **dict.fromkeys(secrets, "x" * 40)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]

    def pool(service: str) -> int:
        return int(services[service]["environment"].get("TUANGOU_DB_POOL_SIZE", 10))

    api_command = services["api"]["command"]
    api_processes = int(api_command[api_command.index("--workers") + 1])
    queue_client = 4
    total = api_processes * (pool("api") + queue_client) + 4 * (pool("worker") + queue_client)
    assert total + 2 <= 97, total
