"""`tuangou demo --network two-tier --size small`: a central warehouse, six
grid warehouses under it and the day through both tiers on SQLite (the
default): the trunk and every grid's last mile planned and published, one
grid's handover short, refunded to that grid's customers alone, and the
books reconcile. And the command refuses a network it does not know."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from api.demo.run import DemoOptions, run_demo
from api.demo.sizes import Network, Size
from api.http.app import create_app
from tests.conftest import test_settings as settings_for

TUANGOU = str(Path(sys.executable).with_name("tuangou"))


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
async def test_two_tier_demo_runs_the_day_through_both_tiers_and_reconciles(tmp_path):
    out = tmp_path / "tuangou-demo"
    options = DemoOptions(
        size=Size.SMALL, seed=3, out=out, route_time_limit_s=1, network=Network.TWO_TIER
    )
    console = Console(file=io.StringIO(), width=200)
    result = await run_demo(options, settings_for("sqlite+aiosqlite://"), console)

    # The books reconcile, grid refunds included.
    figures = result.figures
    assert figures.problems() == []
    assert figures.gmv_fen - figures.refund_fen == figures.delivered_fen > 0
    assert figures.commission_fen == figures.statements_fen == figures.settlement_fen > 0
    tiers = figures.tiers
    assert tiers is not None and len(tiers.grids) >= 6
    assert tiers.via_grids > tiers.direct > 0 and tiers.trunk_km > 0 and tiers.last_mile_km > 0
    assert tiers.handover is not None and tiers.handover.refund_fen > 0
    # Every grid earns ¥0.15 a piece its vans delivered, in the ledger.
    assert tiers.fee_pieces > 0 and tiers.fee_fen == 15 * tiers.fee_pieces
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Two tiers" in printed and "grid handover refunds" in printed

    _check_the_tiers_stored(out / "tuangou-demo.db")

    # The grid operator's token answers with its own grid.
    app = create_app(result.settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            answer = (
                await http.post(
                    "/graphql",
                    json={"query": "{ myGridWarehouse { warehouse { name } pieceFeeFen } }"},
                    headers={"Authorization": f"Bearer {result.tokens['grid_operator']}"},
                )
            ).json()
    finally:
        await app.state.engine.dispose()
    assert "errors" not in answer, answer
    grid = answer["data"]["myGridWarehouse"]
    assert grid["warehouse"]["name"].endswith("网格仓") and grid["pieceFeeFen"] > 0


def _check_the_tiers_stored(db: Path) -> None:
    """Plans of both tiers published, the trunk before the vans, every grid
    signed by its own operator, the handover's refunds at its own points."""
    # Published: the central's own plan and its trunk, and one plan per grid.
    published = _rows(
        db,
        "SELECT p.kind, g.warehouse_id IS NOT NULL, count(*) FROM route_plans p "
        "LEFT JOIN grid_warehouses g ON g.warehouse_id = p.warehouse_id "
        "WHERE p.status = 'published' GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert [(kind.lower(), grid) for kind, grid, _ in published] == [
        ("delivery", 0),
        ("delivery", 1),
        ("trunk", 0),
    ]
    assert published[0][2] == published[2][2] == 1 and published[1][2] >= 6
    # The trunk reaches every grid; each grid's vans wait until it has unloaded.
    assert _rows(db, "SELECT count(*) FROM trunk_stops") == [(published[1][2],)]
    waits = _rows(
        db,
        "SELECT p.trunk_ready_at, min(r.departure_at) FROM route_plans p "
        "JOIN grid_warehouses g ON g.warehouse_id = p.warehouse_id "
        "JOIN routes r ON r.plan_id = p.id WHERE p.status = 'published' GROUP BY p.id",
    )
    assert len(waits) == published[1][2]
    assert all(ready is not None and ready <= leaves for ready, leaves in waits)
    # Every grid signed for the trunk, its GRID_OPERATOR signing.
    signers = _rows(
        db,
        "SELECT r.grid_id, u.role, o.grid_id FROM grid_receipts r "
        "JOIN users u ON u.id = r.signed_by_id JOIN grid_operators o ON o.user_id = u.id",
    )
    assert len(signers) == published[1][2]
    assert all(role.lower() == "grid_operator" and grid == own for grid, role, own in signers)
    # The grid's missing units were refunded, to customers of its points alone.
    refunded_at = _rows(
        db,
        "SELECT rc.grid_id, gp.grid_id FROM grid_issue_refunds gr "
        "JOIN refunds f ON f.id = gr.refund_id JOIN orders o ON o.id = f.order_id "
        "JOIN grid_issues i ON i.id = gr.grid_issue_id "
        "JOIN grid_receipts rc ON rc.id = i.receipt_id "
        "LEFT JOIN grid_points gp ON gp.pickup_point_id = o.pickup_point_id",
    )
    assert refunded_at and all(signed == served for signed, served in refunded_at)
    assert len({signed for signed, _ in refunded_at}) == 1


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TUANGOU, "demo", "--no-serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_an_unknown_network_is_refused_in_one_line(tmp_path):
    unknown = _demo("--network", "three-tier", "--out", str(tmp_path))
    assert "'three-tier' is not one of 'single', 'two-tier'" in unknown.stderr
    week = _demo("--network", "two-tier", "--days", "3", "--out", str(tmp_path))
    assert "--network two-tier runs one day" in week.stderr
    for done in (unknown, week):
        assert done.returncode != 0
        assert done.stderr.strip().splitlines() == [done.stderr.strip()]
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "tuangou-demo.db").exists()
