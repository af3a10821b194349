"""Smoke test of ``scripts/bench_payments.py``: a tiny run end to end on the
local PostgreSQL (fresh database, real server, signed and encrypted
notifications, the books checked), whose last line is the JSON the
benchmark promises, with no errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "TUANGOU_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def _pg_missing() -> str | None:
    libpq = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    try:
        with psycopg.connect(libpq.render_as_string(hide_password=False), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL: {exc}"


@pytest.mark.slow
@pytest.mark.postgres_only
@pytest.mark.parametrize("client", ["raw", "httpx"])
def test_a_tiny_run_pays_every_order_once_and_ends_with_its_json(client: str) -> None:
    missing = _pg_missing()
    if missing:
        pytest.skip(missing)
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_payments.py"),
         "--notifications", "60", "--concurrency", "4", "--duplicates", "0.1",
         "--client", client, "--database-url", PG_ADMIN_URL],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(figures) == {"notifications_per_s", "p99_ms", "errors"}
    assert figures["errors"] == 0
    assert figures["notifications_per_s"] > 0
    # The table says the six re-sends were answered and recorded, not booked.
    assert "6 / 6 of 6" in run.stdout
