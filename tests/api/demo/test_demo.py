"""`tuangou demo --size small`: the whole day on both databases, its books
reconcile, every document opens, every printed token answers its query;
and the command line's help and one-line errors."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import openpyxl
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.demo.names import SUPPLIERS
from api.demo.run import DemoOptions, DemoRefused, run_demo
from api.demo.sizes import Size
from api.demo.tokens import examples
from api.http.app import create_app
from kernel.accounts import Role, create_user
from kernel.db import unit_of_work
from tests.conftest import TOKEN_SECRET

TUANGOU = str(Path(sys.executable).with_name("tuangou"))


def _opens(path: Path) -> None:
    body = path.read_bytes()
    assert body, path
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None and sheet.max_row > 1, path
    elif path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert len(rows) > 1, path
    elif path.suffix == ".svg":
        assert ET.fromstring(body).tag.endswith("svg"), path
    elif path.suffix == ".pdf":
        assert body.startswith(b"%PDF"), path
    else:
        raise AssertionError(f"unexpected file {path}")


async def _goods_by_supplier(engine: AsyncEngine) -> set[tuple[str, str]]:
    """(supplier, product category) of every purchase order line."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT DISTINCT s.name, p.category FROM purchase_order_lines l "
                "JOIN purchase_orders o ON o.id = l.purchase_order_id "
                "JOIN suppliers s ON s.id = o.supplier_id "
                "JOIN products p ON p.id = l.product_id"
            )
        )
        return {(name, category) for name, category in rows}


async def test_small_demo_runs_the_whole_day_and_reconciles(db, tmp_path):
    # SQLite: the default, a fresh file in the out directory; PostgreSQL: the URL given.
    url = None if db.kind == "sqlite" else db.url
    out = tmp_path / "tuangou-demo"
    options = DemoOptions(size=Size.SMALL, seed=3, out=out, database_url=url, route_time_limit_s=2)
    result = await run_demo(options, db.settings, Console(file=io.StringIO()))

    figures = result.figures
    assert figures.problems() == []
    assert figures.gmv_fen - figures.refund_fen == figures.delivered_fen > 0
    assert figures.commission_fen == figures.statements_fen == figures.settlement_fen > 0
    assert figures.orders_by_status["paid"] > 1_500
    assert figures.orders_by_status["expired"] > 0 and figures.orders_by_status["cancelled"] > 0
    reasons = {reason for reason, *_ in figures.refunds}
    assert {
        "customer_cancelled",
        "group_threshold_missed",
        "shortage",
        "delivery_missing",
        "after_sale_quality",
    } <= reasons
    assert figures.routes and figures.unserved == 0
    assert len(figures.commissions) == 10

    names = {p.relative_to(out).as_posix() for p in result.files}
    assert sum(n.startswith("purchase-orders/") and n.endswith(".xlsx") for n in names) >= 4
    # Each purchase order's revision is printed beside its spreadsheet.
    assert {n.removesuffix(".xlsx") for n in names if n.endswith(".xlsx")} == {
        n.removesuffix(".pdf")
        for n in names
        if n.startswith("purchase-orders/") and n.endswith(".pdf")
    }
    assert sum(n.startswith("pick-lists/") for n in names) == 30
    routes = len(figures.routes)
    assert {
        f"route-sheets/route-{n}.{ext}" for n in range(1, routes + 1) for ext in ("csv", "pdf")
    } <= names
    assert {"route-map.svg", "warehouse-totals.csv"} <= names
    assert any(n.startswith("settlement-") and n.endswith(".csv") for n in names)
    for path in result.files:
        _opens(path)

    # Each printed token answers its example query.
    app = create_app(result.settings)
    try:
        # Every supplier is sent only the goods it sells.
        sells = {(name, c) for name, _, categories in SUPPLIERS[4] for c in categories}
        ordered = await _goods_by_supplier(app.state.engine)
        assert ordered and ordered <= sells, sorted(ordered - sells)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            for example in examples(result):
                answer = (
                    await http.post(
                        "/graphql",
                        json={"query": example.query},
                        headers={"Authorization": f"Bearer {example.token}"},
                    )
                ).json()
                assert "errors" not in answer, (example.role, answer)
                assert all(value for value in answer["data"].values()), (example.role, answer)
    finally:
        await app.state.engine.dispose()


async def test_demo_refuses_a_database_with_data(db, tmp_path):
    async with unit_of_work(db.sessions) as session:
        await create_user(session, name="someone", role=Role.OPERATOR, secret=TOKEN_SECRET)
    options = DemoOptions(size=Size.SMALL, out=tmp_path, database_url=db.url)
    try:
        await run_demo(options, db.settings, Console(file=io.StringIO()))
    except DemoRefused as refused:
        assert "already has data" in str(refused)
    else:
        raise AssertionError("the demo ran on a database with data")
    assert await db.scalar("SELECT count(*) FROM campaigns") == 0


def _tuangou(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TUANGOU, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_help_lists_every_command():
    done = _tuangou("--help")
    assert done.returncode == 0
    for command in (
        "serve", "worker", "demo", "db", "upgrade", "users", "create", "campaign", "cutoff",
        "purchasing", "consolidate", "routes", "plan", "settlement", "run", "payments",
        "simulate", "orders", "expire", "schema", "export",
    ):  # fmt: skip
        assert command in done.stdout, command


def test_user_mistakes_are_one_line_and_a_failing_exit(tmp_path):
    used = f"sqlite+aiosqlite:///{tmp_path / 'used.db'}"
    assert _tuangou("db", "upgrade", TUANGOU_DATABASE_URL=used).returncode == 0
    created = _tuangou(
        "users", "create", "--role", "operator", "--name", "x", TUANGOU_DATABASE_URL=used
    )
    assert created.returncode == 0, created.stderr
    mistakes = [
        _tuangou("demo", "--no-serve", "--out", str(tmp_path), "--database-url", used),
        _tuangou("demo", "--size", "huge"),
        _tuangou("routes", "plan", "--warehouse", "1"),
        _tuangou("campaign", "cutoff", "not-an-id"),
        _tuangou(
            "campaign",
            "cutoff",
            "1",
            TUANGOU_DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
        ),
    ]
    for done in mistakes:
        assert done.returncode != 0, done
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
