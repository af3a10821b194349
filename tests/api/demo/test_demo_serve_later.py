"""`tuangou demo --no-serve`, then its database served later: the demo says
how, the platform starts on it without a failing job (the demo's day ran on a
clock ahead of the real one and settled a period the real clock has not
reached), and the region it built looks like a city: districts follow where
points are, leaders have distinct, valid mobile numbers."""

from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, text

from api.http.app import create_app
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.periodic import enqueue_due
from kernel.validation import clean_phone
from tests.conftest import TOKEN_SECRET
from tests.conftest import test_settings as settings_for

TUANGOU = str(Path(sys.executable).with_name("tuangou"))
NEIGHBOURS_M = 500
MOBILE = re.compile(r"^1(3\d|4[579]|5[0-35-9]|66|7[35-8]|8\d|9[19])\d{8}$")


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return 6_371_000 * math.hypot(
        math.radians(a[0] - b[0]), math.radians(a[1] - b[1]) * math.cos(lat)
    )


def _run_demo(out: Path) -> str:
    """The small demo through the command line; returns what it printed."""
    done = subprocess.run(
        [TUANGOU, "demo", "--size", "small", "--seed", "3", "--no-serve", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "TUANGOU_TOKEN_SECRET": TOKEN_SECRET},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _database_url(out: Path) -> str:
    """The demo's SQLite file, which must be there."""
    path = (out / "tuangou-demo.db").resolve()
    assert path.is_file()
    return f"sqlite+aiosqlite:///{path}"


async def test_the_demo_database_serves_later_without_a_failing_job(tmp_path: Path) -> None:
    printed = _run_demo(tmp_path / "demo")
    for role in ("operator", "leader", "supplier", "dispatcher", "driver", "customer"):
        assert f"\n{role}  Authorization: Bearer " in printed, role
    command = printed.split("Serve it later", 1)[1].splitlines()[1].strip()
    words = shlex.split(command)
    assert words[-2:] == ["tuangou", "serve"], command
    url = words[0].removeprefix("TUANGOU_DATABASE_URL=")
    assert url == _database_url(tmp_path / "demo")

    app = create_app(settings_for(url))
    async with app.router.lifespan_context(app):
        # One round of every periodic job, on the real clock, as serving starts.
        for job_id in await enqueue_due(app.state.sessions):
            await app.state.queue.dispatch(job_id)
        await app.state.queue.drain()
        async with app.state.sessions() as session:
            jobs = (await session.execute(select(Job.kind, Job.status, Job.error))).all()
            points = (
                await session.execute(
                    text("SELECT name, lat, lon, contact_phone FROM pickup_points")
                )
            ).all()
            leader_phones = (
                await session.scalars(
                    text("SELECT u.phone FROM leaders l JOIN users u ON u.id = l.user_id")
                )
            ).all()
    failed = [(kind, error) for kind, status, error in jobs if status is JobStatus.FAILED]
    assert failed == []
    assert "commission.due" in {kind for kind, status, _ in jobs if status is JobStatus.SUCCEEDED}

    # Districts follow the map: neighbours share one, two where a border runs.
    assert len(points) == 30
    for name, lat, lon, _ in points:
        near = {
            n.split("·")[0]
            for n, la, lo, _ in points
            if _metres((lat, lon), (la, lo)) < NEIGHBOURS_M
        }
        assert len(near) <= 2, (name, near)
    assert len({name for name, *_ in points}) == len(points)
    # Every leader has a mobile number of their own, of a real mainland prefix.
    assert len(leader_phones) == 30 and len(set(leader_phones)) == 30
    for phone in leader_phones:
        assert MOBILE.match(phone) and clean_phone(phone, ["phone"]) == phone, phone
    assert sorted(leader_phones) == sorted(phone for *_, phone in points)
